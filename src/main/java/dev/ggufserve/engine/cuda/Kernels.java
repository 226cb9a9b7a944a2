package dev.ggufserve.engine.cuda;

import static jcuda.driver.JCudaDriver.cuLaunchKernel;

import dev.ggufserve.gguf.GgmlType;
import dev.ggufserve.model.ModelConfig;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUstream;

/**
 * Typed launches of the kernels in {@code src/main/cuda}: each method enqueues one kernel on {@code stream} and
 * returns at once. Activations are row-major {@code [token][feature]} float buffers; the argument order and
 * launch shapes follow the comments of the kernels.
 */
final class Kernels {

    /** Threads per block of the matrix-vector kernels: one warp per row, {@code ROWS_PER_BLOCK} in matvec.cu. */
    private static final int MATVEC_THREADS = 128;
    private static final int MATVEC_ROWS_PER_BLOCK = 4;
    /** {@code TILE_ROWS}, {@code TILE_TOKENS} and {@code THREADS} in matmul.cu: a block's tile, 8 warps. */
    private static final int MATMUL_ROWS = 128;
    private static final int MATMUL_TOKENS = 64;
    private static final int MATMUL_THREADS = 256;
    /** {@code ATTENTION_WARPS} in ops.cu. */
    private static final int ATTENTION_THREADS = 256;
    /** {@code MAX_HEAD_DIM} in ops.cu. */
    static final int MAX_HEAD_DIMENSION = 256;
    private static final int THREADS = 256;
    private static final int MAX_ELEMENTWISE_BLOCKS = 4096;

    private final Map<GgmlType, CUfunction> matVec = new EnumMap<>(GgmlType.class);
    private final Map<GgmlType, CUfunction> matMul = new EnumMap<>(GgmlType.class);
    private final CUfunction embed;
    private final CUfunction rmsNorm;
    private final CUfunction ropeStore;
    private final CUfunction attention;
    private final CUfunction siluMul;

    Kernels(CudaDevice device) {
        for (GgmlType type : GgmlType.values()) {
            String suffix = type.name().toLowerCase(Locale.ROOT);
            matVec.put(type, device.function("matvec", "matvec_" + suffix));
            matMul.put(type, device.function("matmul", "matmul_" + suffix));
        }
        embed = device.function("ops", "embed");
        rmsNorm = device.function("ops", "rms_norm");
        ropeStore = device.function("ops", "rope_store");
        attention = device.function("ops", "attention");
        siluMul = device.function("ops", "silu_mul");
    }

    /** {@code y = W x} (or {@code y += W x}) for one activation row x of {@code W.cols()} floats. */
    void matVec(CUstream stream, DeviceMatrix w, CUdeviceptr x, CUdeviceptr y, boolean accumulate) {
        launch(matVec.get(w.type()), ceilDiv(w.rows(), MATVEC_ROWS_PER_BLOCK), 1, MATVEC_THREADS, stream,
                Pointer.to(w.data()), Pointer.to(x), Pointer.to(y), arg(w.rows()), arg(w.cols()), arg(accumulate));
    }

    /**
     * {@code y[t][r] = W[r] . x[t]} (or {@code +=}) for {@code tokens} rows of x ({@code W.cols()} floats each);
     * y's rows are {@code ldy} floats apart, so several matrices can write side by side into one buffer.
     */
    void matMul(CUstream stream, DeviceMatrix w, CUdeviceptr x, CUdeviceptr y, int tokens, int ldy,
            boolean accumulate) {
        launch(matMul.get(w.type()), ceilDiv(w.rows(), MATMUL_ROWS), ceilDiv(tokens, MATMUL_TOKENS), MATMUL_THREADS,
                stream, Pointer.to(w.data()), Pointer.to(x), Pointer.to(y), arg(w.rows()), arg(w.cols()),
                arg(tokens), arg(ldy), arg(accumulate));
    }

    /** {@code out[t] = table row tokenIds[t]} for {@code tokens} device int token ids. */
    void embed(CUstream stream, DeviceMatrix table, CUdeviceptr tokenIds, CUdeviceptr out, int tokens) {
        launch(embed, tokens, 1, THREADS, stream, arg(table.type().id()), Pointer.to(table.data()),
                Pointer.to(new long[] {table.rowBytes()}), Pointer.to(tokenIds), Pointer.to(out), arg(table.cols()));
    }

    /** RMSNorm of {@code rows} rows of {@code width} floats. */
    void rmsNorm(CUstream stream, CUdeviceptr x, CUdeviceptr weight, CUdeviceptr out, int rows, int width,
            float epsilon) {
        launch(rmsNorm, rows, 1, THREADS, stream, Pointer.to(x), Pointer.to(weight), Pointer.to(out), arg(width),
                Pointer.to(new float[] {epsilon}));
    }

    /**
     * Rotates q and k of {@code tokens} rows of qkv (row stride {@code qkvStride}) at positions start.. and stores
     * their k and v into the layer's caches; {@code ropeFactors} is null when the model has no LongRoPE factors.
     */
    void ropeStore(CUstream stream, ModelConfig config, CUdeviceptr qkv, int qkvStride, CUdeviceptr keys,
            CUdeviceptr values, int start, int tokens, CUdeviceptr ropeFactors) {
        Pointer factors = ropeFactors == null ? Pointer.to(new long[] {0}) : Pointer.to(ropeFactors);
        launch(ropeStore, tokens, 1, THREADS, stream, Pointer.to(qkv), arg(qkvStride), Pointer.to(keys),
                Pointer.to(values), arg(start), arg(config.headCount()), arg(config.kvHeadCount()),
                arg(config.headDimension()), arg(config.ropeDimension()),
                Pointer.to(new float[] {config.ropeFrequencyBase()}), factors,
                Pointer.to(new float[] {config.ropeAttentionFactor()}),
                arg(config.architecture().neoxRotary()));
    }

    /** Causal attention of every query head of {@code tokens} rows at positions start.. over the layer's caches. */
    void attention(CUstream stream, ModelConfig config, CUdeviceptr qkv, int qkvStride, CUdeviceptr keys,
            CUdeviceptr values, CUdeviceptr out, int start, int tokens) {
        float scale = (float) (1.0 / Math.sqrt(config.headDimension()));
        launch(attention, config.headCount(), tokens, ATTENTION_THREADS, stream, Pointer.to(qkv), arg(qkvStride),
                Pointer.to(keys), Pointer.to(values), Pointer.to(out), arg(config.embeddingLength()), arg(start),
                arg(config.headDimension()), arg(config.headCount() / config.kvHeadCount()), arg(config.kvDimension()),
                arg(config.slidingWindow()), Pointer.to(new float[] {scale}));
    }

    /** SwiGLU over {@code tokens} rows: gateUp rows hold the gate half then the up half ({@code 2 * ff} floats). */
    void siluMul(CUstream stream, CUdeviceptr gateUp, CUdeviceptr hidden, int ff, int tokens) {
        int blocks = (int) Math.min(ceilDiv((long) ff * tokens, THREADS), MAX_ELEMENTWISE_BLOCKS);
        launch(siluMul, blocks, 1, THREADS, stream, Pointer.to(gateUp), Pointer.to(hidden), arg(ff), arg(tokens));
    }

    private static void launch(CUfunction function, int gridX, int gridY, int threads, CUstream stream,
            Pointer... arguments) {
        cuLaunchKernel(function, gridX, gridY, 1, threads, 1, 1, 0, stream, Pointer.to(arguments), null);
    }

    private static Pointer arg(int value) {
        return Pointer.to(new int[] {value});
    }

    private static Pointer arg(boolean value) {
        return arg(value ? 1 : 0);
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }
}
