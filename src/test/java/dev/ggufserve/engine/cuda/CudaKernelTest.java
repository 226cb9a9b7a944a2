package dev.ggufserve.engine.cuda;

import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ggufserve.gguf.GgmlType;
import dev.ggufserve.model.Architecture;
import dev.ggufserve.model.ModelConfig;
import dev.ggufserve.tensor.WeightMatrix;
import dev.ggufserve.testing.Quantizer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Each CUDA kernel against the CPU engine's code (the tensor classes' matVec and dequantizeRow) or, for the
 * steps private to CpuStepExecutor, the same formulas written out here, on fresh random inputs: relative error
 * ||gpu - cpu|| / ||cpu||.
 */
@Tag("gpu")
class CudaKernelTest {

    /**
     * Rows and tokens that are not multiples of the kernels' tiles (128 rows x 64 tokens in matMul) or warps' rows
     * (4 in matVec), and more than one tile of each.
     */
    private static final int ROWS = 131;
    private static final int COLS = 512;
    private static final int TOKENS = 70;

    private final SplittableRandom random = new SplittableRandom(System.nanoTime());
    private final List<CUdeviceptr> buffers = new ArrayList<>();
    private final Arena arena = Arena.ofConfined();
    private CudaDevice device;
    private Kernels kernels;
    private CUstream stream;

    /** Each test opens the device itself, so that without a GPU every test is reported as skipped. */
    @BeforeEach
    void openDevice() {
        Gpu.assumeAvailable();
        device = CudaDevice.open();
        kernels = new Kernels(device);
        stream = new CUstream();
        cuStreamCreate(stream, 0);
    }

    @AfterEach
    void closeDevice() {
        arena.close();
        if (device != null) {
            buffers.forEach(CudaDevice::free);
            cuStreamDestroy(stream);
            device.close();
        }
    }

    @ParameterizedTest
    @EnumSource(GgmlType.class)
    void matVecMatchesTheCpuKernel(GgmlType type) {
        float[] weights = gaussians(ROWS * COLS, 1 / Math.sqrt(COLS));
        byte[] bytes = Quantizer.quantize(type, weights);
        WeightMatrix cpu = WeightMatrix.of(MemorySegment.ofArray(bytes), type, ROWS, COLS);
        float[] x = gaussians(COLS, 1);
        float[] expected = new float[ROWS];
        cpu.matVec(x, 0, expected, 0, 0, ROWS);

        DeviceMatrix gpu = matrix(bytes, type);
        CUdeviceptr y = upload(new float[ROWS]);
        kernels.matVec(stream, gpu, upload(x), y, false);
        assertClose(expected, download(y, ROWS), 1e-5, type + " matVec");
        kernels.matVec(stream, gpu, upload(x), y, true);
        assertClose(scaled(expected, 2), download(y, ROWS), 1e-5, type + " matVec accumulating");
    }

    @ParameterizedTest
    @EnumSource(GgmlType.class)
    void matMulMatchesTheCpuKernelWithinTf32Precision(GgmlType type) {
        float[] weights = gaussians(ROWS * COLS, 1 / Math.sqrt(COLS));
        byte[] bytes = Quantizer.quantize(type, weights);
        WeightMatrix cpu = WeightMatrix.of(MemorySegment.ofArray(bytes), type, ROWS, COLS);
        float[] x = gaussians(TOKENS * COLS, 1);
        // Output rows wider than the matrix: the columns past it must keep their values.
        int ldy = ROWS + 3;
        float[] initial = gaussians(TOKENS * ldy, 1);
        float[] expected = initial.clone();
        float[] accumulated = initial.clone();
        for (int t = 0; t < TOKENS; t++) {
            float[] product = new float[ROWS];
            cpu.matVec(x, t * COLS, product, 0, 0, ROWS);
            for (int r = 0; r < ROWS; r++) {
                expected[t * ldy + r] = product[r];
                accumulated[t * ldy + r] += product[r];
            }
        }

        DeviceMatrix gpu = matrix(bytes, type);
        CUdeviceptr y = upload(initial);
        kernels.matMul(stream, gpu, upload(x), y, TOKENS, ldy, false);
        float[] written = download(y, TOKENS * ldy);
        assertClose(expected, written, 3e-3, type + " matMul");
        for (int t = 0; t < TOKENS; t++) {
            for (int r = ROWS; r < ldy; r++) {
                assertTrue(written[t * ldy + r] == initial[t * ldy + r], "column " + r + " past the matrix changed");
            }
        }
        CUdeviceptr z = upload(initial);
        kernels.matMul(stream, gpu, upload(x), z, TOKENS, ldy, true);
        assertClose(accumulated, download(z, TOKENS * ldy), 3e-3, type + " matMul accumulating");
    }

    @ParameterizedTest
    @EnumSource(GgmlType.class)
    void embeddingRowsAreTheDequantizedRows(GgmlType type) {
        byte[] bytes = Quantizer.quantize(type, gaussians(ROWS * COLS, 1));
        WeightMatrix cpu = WeightMatrix.of(MemorySegment.ofArray(bytes), type, ROWS, COLS);
        int[] tokens = {5, 0, ROWS - 1, 5};
        float[] expected = new float[tokens.length * COLS];
        for (int t = 0; t < tokens.length; t++) {
            cpu.dequantizeRow(tokens[t], expected, t * COLS);
        }
        CUdeviceptr ids = device.allocate(tokens.length * Integer.BYTES);
        buffers.add(ids);
        cuMemcpyHtoD(ids, Pointer.to(tokens), tokens.length * Integer.BYTES);
        CUdeviceptr out = upload(new float[tokens.length * COLS]);
        kernels.embed(stream, matrix(bytes, type), ids, out, tokens.length);
        assertClose(expected, download(out, tokens.length * COLS), 1e-6, type + " embedding");
    }

    @Test
    void rmsNormMatchesTheCpuFormula() {
        int rows = 3;
        int width = 3072;
        float[] x = gaussians(rows * width, 3);
        float[] weight = gaussians(width, 1);
        float[] expected = new float[rows * width];
        for (int r = 0; r < rows; r++) {
            double sumOfSquares = 0;
            for (int i = 0; i < width; i++) {
                sumOfSquares += (double) x[r * width + i] * x[r * width + i];
            }
            float scale = (float) (1.0 / Math.sqrt(sumOfSquares / width + 1e-5f));
            for (int i = 0; i < width; i++) {
                expected[r * width + i] = x[r * width + i] * scale * weight[i];
            }
        }
        CUdeviceptr out = upload(new float[rows * width]);
        kernels.rmsNorm(stream, upload(x), upload(weight), out, rows, width, 1e-5f);
        assertClose(expected, download(out, rows * width), 1e-6, "rmsNorm");
    }

    @Test
    void siluMulMatchesTheCpuFormula() {
        int ff = 300;
        int tokens = 5;
        float[] gateUp = gaussians(tokens * 2 * ff, 2);
        float[] expected = new float[tokens * ff];
        for (int t = 0; t < tokens; t++) {
            for (int i = 0; i < ff; i++) {
                float gate = gateUp[t * 2 * ff + i];
                expected[t * ff + i] = gate / (1f + (float) Math.exp(-gate)) * gateUp[t * 2 * ff + ff + i];
            }
        }
        CUdeviceptr hidden = upload(new float[tokens * ff]);
        kernels.siluMul(stream, upload(gateUp), hidden, ff, tokens);
        assertClose(expected, download(hidden, tokens * ff), 1e-6, "siluMul");
    }

    /** Llama: adjacent rotary pairs, 4 query heads sharing 2 KV heads of 16 dimensions. */
    @Test
    void ropeAndAttentionMatchTheCpuEngineForLlama() {
        checkRopeAndAttention(new ModelConfig(Architecture.LLAMA, 320, 64, 1, 4, 2, 16, 128, 128, 1e-5f, 16, 10000f,
                0, 0, 1f), null);
    }

    /**
     * Phi-3: NEOX pairs, 96-dimension heads (more than a warp's 32 lanes), LongRoPE factors and attention factor,
     * a sliding window shorter than the sequence.
     */
    @Test
    void ropeAndAttentionMatchTheCpuEngineForPhi3() {
        int headDim = 96;
        float[] factors = new float[headDim / 2];
        for (int i = 0; i < factors.length; i++) {
            factors[i] = 1f + 0.25f * i;
        }
        checkRopeAndAttention(new ModelConfig(Architecture.PHI3, 320, 4 * headDim, 1, 4, 4, headDim, 128, 256, 1e-5f,
                headDim, 10000f, 5, 64, 1.19f), factors);
    }

    /**
     * A prefill of 9 tokens at positions 0..8, then a decode step at position 9, through rope_store and attention,
     * against the rotation and attention of CpuStepExecutor written out below.
     */
    private void checkRopeAndAttention(ModelConfig config, float[] ropeFactors) {
        int capacity = 16;
        int embd = config.embeddingLength();
        int kvDim = config.kvDimension();
        int width = embd + 2 * kvDim;
        int prefill = 9;
        float[] qkv = gaussians((prefill + 1) * width, 1);
        float[] keys = new float[capacity * kvDim];
        float[] values = new float[capacity * kvDim];
        float[] expected = new float[(prefill + 1) * embd];
        for (int t = 0; t <= prefill; t++) {
            float[] row = Arrays.copyOfRange(qkv, t * width, (t + 1) * width);
            rotate(config, ropeFactors, row, t);
            System.arraycopy(row, embd, keys, t * kvDim, kvDim);
            System.arraycopy(row, embd + kvDim, values, t * kvDim, kvDim);
            attend(config, row, keys, values, t, expected, t * embd);
        }

        CUdeviceptr deviceQkv = upload(qkv);
        CUdeviceptr deviceKeys = upload(new float[capacity * kvDim]);
        CUdeviceptr deviceValues = upload(new float[capacity * kvDim]);
        CUdeviceptr out = upload(new float[(prefill + 1) * embd]);
        CUdeviceptr factors = ropeFactors == null ? null : upload(ropeFactors);
        kernels.ropeStore(stream, config, deviceQkv, width, deviceKeys, deviceValues, 0, prefill, factors);
        kernels.attention(stream, config, deviceQkv, width, deviceKeys, deviceValues, out, 0, prefill);
        CUdeviceptr lastRow = deviceQkv.withByteOffset((long) prefill * width * Float.BYTES);
        CUdeviceptr lastOut = out.withByteOffset((long) prefill * embd * Float.BYTES);
        kernels.ropeStore(stream, config, lastRow, width, deviceKeys, deviceValues, prefill, 1, factors);
        kernels.attention(stream, config, lastRow, width, deviceKeys, deviceValues, lastOut, prefill, 1);

        assertClose(Arrays.copyOf(keys, (prefill + 1) * kvDim), download(deviceKeys, (prefill + 1) * kvDim), 1e-6,
                "rotated keys in the cache");
        assertClose(Arrays.copyOf(values, (prefill + 1) * kvDim), download(deviceValues, (prefill + 1) * kvDim), 0,
                "values in the cache");
        assertClose(expected, download(out, (prefill + 1) * embd), 1e-5, "attention output");
    }

    /** CpuStepExecutor.computeRotation and rotate, for q and k of one qkv row at {@code position}. */
    private static void rotate(ModelConfig config, float[] ropeFactors, float[] row, int position) {
        int pairs = config.ropeDimension() / 2;
        boolean neox = config.architecture() == Architecture.PHI3;
        for (int h = 0; h < config.headCount() + config.kvHeadCount(); h++) {
            int base = h * config.headDimension();
            for (int i = 0; i < pairs; i++) {
                double frequency = Math.pow(config.ropeFrequencyBase(), -2.0 * i / config.ropeDimension());
                if (ropeFactors != null) {
                    frequency /= ropeFactors[i];
                }
                double angle = position * frequency;
                float cos = (float) Math.cos(angle) * config.ropeAttentionFactor();
                float sin = (float) Math.sin(angle) * config.ropeAttentionFactor();
                int first = neox ? base + i : base + 2 * i;
                int second = neox ? base + i + pairs : base + 2 * i + 1;
                float a = row[first];
                float b = row[second];
                row[first] = a * cos - b * sin;
                row[second] = b * cos + a * sin;
            }
        }
    }

    /** CpuStepExecutor.attendOne: every query head of {@code row} over cached positions within the window. */
    private static void attend(ModelConfig config, float[] row, float[] keys, float[] values, int position,
            float[] out, int outOffset) {
        int headDim = config.headDimension();
        int kvDim = config.kvDimension();
        int window = config.slidingWindow();
        int first = window > 0 ? Math.max(0, position - window + 1) : 0;
        float scale = (float) (1.0 / Math.sqrt(headDim));
        for (int head = 0; head < config.headCount(); head++) {
            int kvOffset = head / (config.headCount() / config.kvHeadCount()) * headDim;
            double[] weights = new double[position + 1];
            double max = Double.NEGATIVE_INFINITY;
            for (int t = first; t <= position; t++) {
                double dot = 0;
                for (int d = 0; d < headDim; d++) {
                    dot += row[head * headDim + d] * keys[t * kvDim + kvOffset + d];
                }
                weights[t] = scale * dot;
                max = Math.max(max, weights[t]);
            }
            double sum = 0;
            for (int t = first; t <= position; t++) {
                weights[t] = Math.exp(weights[t] - max);
                sum += weights[t];
            }
            for (int d = 0; d < headDim; d++) {
                double value = 0;
                for (int t = first; t <= position; t++) {
                    value += weights[t] / sum * values[t * kvDim + kvOffset + d];
                }
                out[outOffset + head * headDim + d] = (float) value;
            }
        }
    }

    private DeviceMatrix matrix(byte[] bytes, GgmlType type) {
        // A native segment, as the memory-mapped weights are.
        MemorySegment offHeap = arena.allocate(bytes.length);
        offHeap.copyFrom(MemorySegment.ofArray(bytes));
        CUdeviceptr data = device.upload(offHeap);
        buffers.add(data);
        return new DeviceMatrix(data, type, ROWS, COLS);
    }

    private CUdeviceptr upload(float[] values) {
        CUdeviceptr pointer = device.upload(values);
        buffers.add(pointer);
        return pointer;
    }

    private float[] download(CUdeviceptr pointer, int count) {
        cuStreamSynchronize(stream);
        float[] values = new float[count];
        cuMemcpyDtoH(Pointer.to(values), pointer, (long) count * Float.BYTES);
        return values;
    }

    private float[] gaussians(int count, double deviation) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (float) (deviation * random.nextGaussian());
        }
        return values;
    }

    private static float[] scaled(float[] values, float factor) {
        float[] result = values.clone();
        for (int i = 0; i < result.length; i++) {
            result[i] *= factor;
        }
        return result;
    }

    private static void assertClose(float[] expected, float[] actual, double maxRelativeError, String what) {
        assertTrue(expected.length == actual.length, what + ": lengths differ");
        double difference = 0;
        double norm = 0;
        for (int i = 0; i < expected.length; i++) {
            difference += Math.pow((double) actual[i] - expected[i], 2);
            norm += Math.pow(expected[i], 2);
        }
        double relativeError = Math.sqrt(difference / norm);
        System.out.printf("%-40s relative error %.2e (limit %.0e)%n", what, relativeError, maxRelativeError);
        if (maxRelativeError == 0) {
            assertArrayEquals(expected, actual, what);
        } else {
            assertTrue(relativeError <= maxRelativeError, what + ": relative error " + relativeError);
        }
    }
}
