package dev.ggufserve.bench;

import dev.ggufserve.gguf.GgmlType;
import dev.ggufserve.tensor.WeightMatrix;
import dev.ggufserve.testing.WritePhi3MiniModel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Single-thread rates of the weight kernels on random Phi-3-mini-sized matrices: matVec (decode; weights stream from
 * memory, reported in GB/s of weights) and matMul over a 64-token tile (prefill; in GMAC/s), then the small-tile
 * path's time per token at 1 to 16 tokens (batched decoding). Medians of several
 * passes; the machine is shared, so compare variants within one run.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp target/test-classes:target/classes dev.ggufserve.bench.KernelBench \
 *     [passes] [small]      # "small": the per-token small-tile rates only
 * </pre>
 */
public final class KernelBench {

    private KernelBench() {
    }

    public static void main(String[] args) {
        int passes = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        boolean smallTilesOnly = args.length > 1 && args[1].equals("small");
        // ffn_up's shape: 16384 rows of 3072 (Q4_K 28 MB, more than the caches); ffn_down's for Q6_K.
        if (!smallTilesOnly) {
            bench(GgmlType.Q4_K, 16384, 3072, passes);
            bench(GgmlType.Q5_K, 9216, 3072, passes);
            bench(GgmlType.Q6_K, 3072, 8192, passes);
        }
        smallTiles(GgmlType.Q4_K, 16384, 3072, passes);
        smallTiles(GgmlType.Q6_K, 3072, 8192, passes);
        smallTiles(GgmlType.Q5_K, 9216, 3072, passes);
    }

    /**
     * Batched decoding's cost per token: one matVec against matMul of 2 to 16 tokens (matVecs, the small-tile path, the
     * wide path),
     * each over the whole matrix, in ms per token and as a multiple of the single token's rate.
     */
    private static void smallTiles(GgmlType type, int rows, int cols, int passes) {
        byte[] bytes = WritePhi3MiniModel.randomMatrix(type, rows, cols, 7);
        MemorySegment segment = Arena.global().allocate(bytes.length, 64);
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, segment, 0, bytes.length);
        WeightMatrix matrix = WeightMatrix.of(segment, type, rows, cols);
        int maxTokens = 16;
        float[] x = new float[maxTokens * cols];
        SplittableRandom random = new SplittableRandom(3);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        float[] out = new float[maxTokens * rows];
        // at least 8 MB, so a humongous G1 object like the engine's scratch: it starts a region, so the activations'
        // alignment (worth 1.1-1.3x to the small tile, docs/PERFORMANCE.md) is the same in every run and build
        float[] scratch = new float[Math.max(WeightMatrix.matMulScratchSize(maxTokens, cols), 2 << 20)];
        double single = 0;
        for (int tokens : new int[] {1, 2, 3, 4, 5, 8, 16}) {
            double[] msPerToken = new double[passes];
            for (int p = -10; p < passes; p++) {   // 10 untimed passes: the first calls of a path compile it
                long start = System.nanoTime();
                if (tokens == 1) {
                    matrix.matVec(x, 0, out, 0, 0, rows);
                } else {
                    matrix.matMul(x, cols, tokens, out, 0, rows, 0, rows, scratch);
                }
                if (p >= 0) {
                    msPerToken[p] = (System.nanoTime() - start) / 1e6 / tokens;
                }
            }
            Arrays.sort(msPerToken);
            double median = msPerToken[passes / 2];
            if (tokens == 1) {
                single = median;
            }
            System.out.printf("%-5s %5dx%-5d %2d tokens: %6.2f ms per token, %5.1f us per token per million weights"
                    + " (%.2fx the 1-token rate)%n", type, rows, cols, tokens, median, median * 1e9 / rows / cols,
                    single / median);
        }
    }

    private static void bench(GgmlType type, int rows, int cols, int passes) {
        byte[] bytes = WritePhi3MiniModel.randomMatrix(type, rows, cols, 7);
        MemorySegment segment = Arena.global().allocate(bytes.length, 64);
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, segment, 0, bytes.length);
        WeightMatrix matrix = WeightMatrix.of(segment, type, rows, cols);
        int tokens = 64;
        float[] x = new float[tokens * cols];
        SplittableRandom random = new SplittableRandom(1);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        float[] out = new float[tokens * rows];
        float[] scratch = new float[WeightMatrix.matMulScratchSize(tokens, cols)];
        double[] gbs = new double[passes];
        double[] gmacs = new double[passes];
        int matMulRows = rows / 8;
        for (int p = 0; p < passes; p++) {
            long start = System.nanoTime();
            for (int repeat = 0; repeat < 5; repeat++) {
                matrix.matVec(x, 0, out, 0, 0, rows);
            }
            long mid = System.nanoTime();
            matrix.matMul(x, cols, tokens, out, 0, rows, 0, matMulRows, scratch);
            long end = System.nanoTime();
            gbs[p] = 5.0 * bytes.length / (mid - start);
            gmacs[p] = (double) tokens * matMulRows * cols / (end - mid);
        }
        Arrays.sort(gbs);
        Arrays.sort(gmacs);
        System.out.printf("%-5s %5dx%-5d matVec %5.1f GB/s (%5.1f GMAC/s)   matMul(64 tokens) %5.1f GMAC/s%n", type,
                rows, cols, gbs[passes / 2], gbs[passes / 2] * 1e9 * rows * cols / bytes.length / 1e9,
                gmacs[passes / 2]);
    }
}
