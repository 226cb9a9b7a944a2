package dev.ggufserve.tensor;

import dev.ggufserve.gguf.GgmlType;
import java.util.Collection;
import java.util.EnumMap;
import java.util.Map;

/**
 * Gets the JIT to compile the matrix kernels before the first forward pass needs them, by running them on a few
 * rows of the model's own matrices.
 *
 * <p>Until C2 has compiled a kernel, its Vector API calls run the API's Java fallback, hundreds of times slower
 * than the compiled kernel, and the first pass over a 2 GB model pays for that on every row: on the
 * Phi-3-mini-shaped Q4_K_M file an 8-token prefill took 2.4-2.8 s as the first pass against 0.78 s compiled, one
 * decode step 0.8-1.1 s against 0.16 s. Here each kernel
 * runs on {@link #ROWS} rows instead of thousands, so the counters that trigger C2 are reached in a fraction of
 * the time. The rows are slices of the real matrices (same classes, same memory-segment kind, same row length),
 * so the profiles C2 compiles from match what the real pass does, and the compiled code is used by it unchanged.
 */
public final class KernelWarmUp {

    /** One group of {@link FloatTile#ROWS} rows and a shorter tail group, so matMul's both row paths are seen. */
    static final int ROWS = FloatTile.ROWS + 2;
    /**
     * Rounds of products per weight type. Enough that every kernel (matVec's per-row dot product, matMul's
     * dequantization and 4x4 float tile) passes C2's invocation and loop thresholds with default JVM flags;
     * once compiled, a round costs microseconds, so surplus rounds cost little.
     */
    static final int ROUNDS = 1500;
    /**
     * Every this many rounds, one matMul runs a wide tile instead of a small one. 30 wide rounds of 1500 are enough
     * for the first long prompt to run at full speed, and each costs far more than a small round until C2 has
     * compiled the wide kernels: every 50th round instead of every 10th made the server ready about 0.5 s sooner
     * on the full-size file (docs/PERFORMANCE.md, "Start-up").
     */
    private static final int WIDE_TILE_EVERY = 50;
    /**
     * Wide tiles, taken in turn: 49 tokens pad to 4 whole token vectors (the outer-product 6x4 kernel alone, as any
     * prompt of 49+ tokens reaches it), 21 to two vectors (the 6x1 kernel for remainders). Without them the first
     * long prompt after start ran at about half speed while C2 compiled the 6x4 kernel under it (issue 15).
     */
    private static final int[] WIDE_TOKENS = {49, 21};
    private static final int MAX_TOKENS = 49;

    private KernelWarmUp() {
    }

    /**
     * Runs {@link WeightMatrix#matVec} and {@link WeightMatrix#matMul} (small tiles of 2 to
     * {@link WeightMatrix#SMALL_TILE_TOKENS} tokens in most rounds, a wide tile in every {@link #WIDE_TILE_EVERY}th)
     * on the first rows of one matrix of each weight type among {@code matrices}, so every kernel path a request can
     * reach is compiled. Reads only those rows; the results are discarded. Does nothing when the matrices together
     * have fewer rows than the warm-up would run.
     */
    public static void run(Collection<WeightMatrix> matrices) {
        long modelRows = matrices.stream().mapToLong(WeightMatrix::rows).sum();
        if (modelRows < (long) ROUNDS * ROWS) {
            // A pass over a model this small (the bundled demo model) costs less uncompiled than the warm-up.
            return;
        }
        Map<GgmlType, WeightMatrix> samples = new EnumMap<>(GgmlType.class);
        int maxCols = 0;
        for (WeightMatrix matrix : matrices) {
            if (matrix.rows() >= ROWS && !samples.containsKey(matrix.type())) {
                samples.put(matrix.type(), matrix.firstRows(ROWS));
                maxCols = Math.max(maxCols, matrix.cols());
            }
        }
        float[] x = new float[MAX_TOKENS * maxCols];
        float[] out = new float[MAX_TOKENS * ROWS];
        float[] scratch = new float[WeightMatrix.matMulScratchSize(MAX_TOKENS, maxCols)];
        for (int round = 0; round < ROUNDS; round++) {
            // small tiles of 3 to 8 tokens, so the small-tile path's kernels all run (generic: 4-token and 1-token;
            // fused: 4 and 8 tokens)
            int tokens = round % WIDE_TILE_EVERY == WIDE_TILE_EVERY - 1
                    ? WIDE_TOKENS[round / WIDE_TILE_EVERY % WIDE_TOKENS.length]
                    : 2 + round % (WeightMatrix.SMALL_TILE_TOKENS - 1);   // 2 (matVecs) to 8
            for (WeightMatrix sample : samples.values()) {
                sample.matVec(x, 0, out, 0, 0, ROWS);
                sample.matMul(x, sample.cols(), tokens, out, 0, ROWS, 0, ROWS, scratch);
            }
        }
    }
}
