package dev.ggufserve.engine.cuda;

import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventElapsedTime;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import dev.ggufserve.gguf.GgufFile;
import dev.ggufserve.model.ModelConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

/**
 * Where a 512-token prefill spends its GPU time: enqueues the same kernels with the same shapes as
 * {@code CudaSequence.forward} for every layer (plus the output head for the last token), with a CUDA event
 * after each step, and prints each step's time summed over the layers next to the wall time of the whole pass.
 * A wall time well above the sum of the steps means the host, not the GPU, sets the pace. bench/gpu-check.sh
 * runs it after the benchmark.
 *
 * <pre>
 * usage: PrefillProfile MODEL.gguf
 * </pre>
 */
public final class PrefillProfile {

    private static final int TOKENS = 512;
    private static final int RUNS = 3;

    private final ModelConfig config;
    private final Kernels kernels;
    private final DeviceWeights weights;
    private final CUstream stream = new CUstream();
    private final List<CUdeviceptr> buffers = new ArrayList<>();
    private final List<String> steps = new ArrayList<>();
    private final List<CUevent> events = new ArrayList<>();

    private PrefillProfile(ModelConfig config, Kernels kernels, DeviceWeights weights) {
        this.config = config;
        this.kernels = kernels;
        this.weights = weights;
        cuStreamCreate(stream, 0);
    }

    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: PrefillProfile MODEL.gguf");
            System.exit(2);
        }
        try (GgufFile file = GgufFile.open(Path.of(args[0])); CudaDevice device = CudaDevice.open()) {
            ModelConfig config = ModelConfig.read(file);
            try (DeviceWeights weights = DeviceWeights.upload(device, file, config)) {
                new PrefillProfile(config, new Kernels(device), weights).run(device);
            }
        }
    }

    private void run(CudaDevice device) {
        int embd = config.embeddingLength();
        int ff = config.feedForwardLength();
        int qkvWidth = embd + 2 * config.kvDimension();
        CUdeviceptr tokenIds = device.allocate((long) TOKENS * Integer.BYTES);
        buffers.add(tokenIds);
        int[] tokens = new SplittableRandom(7).ints(TOKENS, 0, config.vocabularySize()).toArray();
        cuMemcpyHtoD(tokenIds, Pointer.to(tokens), (long) TOKENS * Integer.BYTES);
        CUdeviceptr residual = floats(device, (long) TOKENS * embd);
        CUdeviceptr normalized = floats(device, (long) TOKENS * embd);
        CUdeviceptr qkv = floats(device, (long) TOKENS * qkvWidth);
        CUdeviceptr attentionOutput = floats(device, (long) TOKENS * embd);
        CUdeviceptr gateUp = floats(device, (long) TOKENS * 2 * ff);
        CUdeviceptr hidden = floats(device, (long) TOKENS * ff);
        CUdeviceptr logits = floats(device, config.vocabularySize());
        // One layer's cache, shared by all layers: the profile needs the shapes, not the values.
        CUdeviceptr keys = floats(device, (long) TOKENS * config.kvDimension());
        CUdeviceptr values = floats(device, (long) TOKENS * config.kvDimension());
        CUdeviceptr ropeFactors = weights.ropeFactorsFor(config, TOKENS);
        float eps = config.rmsNormEpsilon();

        Map<String, double[]> stepMillis = new LinkedHashMap<>();
        double[] wallMillis = new double[RUNS];
        for (int run = -1; run < RUNS; run++) {
            steps.clear();
            long start = System.nanoTime();
            mark("start");
            kernels.embed(stream, weights.tokenEmbedding(), tokenIds, residual, TOKENS);
            mark("embed");
            for (DeviceWeights.Layer w : weights.layers()) {
                kernels.rmsNorm(stream, residual, w.attentionNorm(), normalized, TOKENS, embd, eps);
                mark("rmsNorm");
                project(w.qkvProjections(), normalized, qkv, qkvWidth, false);
                mark("matMul qkv");
                kernels.ropeStore(stream, config, qkv, qkvWidth, keys, values, 0, TOKENS, ropeFactors);
                mark("ropeStore");
                kernels.attention(stream, config, qkv, qkvWidth, keys, values, attentionOutput, 0, TOKENS);
                mark("attention");
                project(List.of(w.attentionOutput()), attentionOutput, residual, embd, true);
                mark("matMul attention output");
                kernels.rmsNorm(stream, residual, w.feedForwardNorm(), normalized, TOKENS, embd, eps);
                mark("rmsNorm");
                project(w.gateUpProjections(), normalized, gateUp, 2 * ff, false);
                mark("matMul gate/up");
                kernels.siluMul(stream, gateUp, hidden, ff, TOKENS);
                mark("siluMul");
                project(List.of(w.feedForwardDown()), hidden, residual, embd, true);
                mark("matMul down");
            }
            kernels.rmsNorm(stream, residual.withByteOffset((long) (TOKENS - 1) * embd * Float.BYTES),
                    weights.outputNorm(), normalized, 1, embd, eps);
            kernels.matVec(stream, weights.output(), normalized, logits, false);
            mark("output head (last token)");
            cuStreamSynchronize(stream);
            if (run < 0) {
                continue;
            }
            wallMillis[run] = (System.nanoTime() - start) / 1e6;
            float[] millis = new float[1];
            for (int i = 1; i < steps.size(); i++) {
                cuEventElapsedTime(millis, events.get(i - 1), events.get(i));
                stepMillis.computeIfAbsent(steps.get(i), step -> new double[RUNS])[run] += millis[0];
            }
        }

        System.out.printf("%nGPU time of one %d-token prefill by step, summed over %d layers (median of %d runs):%n",
                TOKENS, config.blockCount(), RUNS);
        double total = 0;
        for (Map.Entry<String, double[]> step : stepMillis.entrySet()) {
            double median = median(step.getValue());
            total += median;
            System.out.printf("  %-28s %8.2f ms%n", step.getKey(), median);
        }
        System.out.printf("  %-28s %8.2f ms (%.0f tok/s)%n", "sum of the steps", total, TOKENS / total * 1e3);
        double wall = median(wallMillis);
        System.out.printf("  %-28s %8.2f ms (%.0f tok/s)%n", "wall time of the pass", wall, TOKENS / wall * 1e3);

        events.forEach(JCudaDriver::cuEventDestroy);
        buffers.forEach(CudaDevice::free);
        cuStreamDestroy(stream);
    }

    private void project(List<DeviceMatrix> matrices, CUdeviceptr input, CUdeviceptr output, int width,
            boolean accumulate) {
        long column = 0;
        for (DeviceMatrix matrix : matrices) {
            kernels.matMul(stream, matrix, input, output.withByteOffset(column * Float.BYTES), TOKENS, width,
                    accumulate);
            column += matrix.rows();
        }
    }

    /** Records an event after the work enqueued so far; the time up to the previous mark is charged to step. */
    private void mark(String step) {
        int index = steps.size();
        if (index == events.size()) {
            CUevent event = new CUevent();
            cuEventCreate(event, CUevent_flags.CU_EVENT_DEFAULT);
            events.add(event);
        }
        cuEventRecord(events.get(index), stream);
        steps.add(step);
    }

    private CUdeviceptr floats(CudaDevice device, long count) {
        CUdeviceptr buffer = device.allocate(count * Float.BYTES);
        buffers.add(buffer);
        return buffer;
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
