package dev.ggufserve.tensor;

import static dev.ggufserve.tensor.Lanes.COUNT;

import dev.ggufserve.gguf.GgmlType;
import dev.ggufserve.testing.WritePhi3MiniModel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Issue 10: does the alignment of the small tile's activations matter to the fused kernels
 * ({@link WeightMatrix#addPassToTokens})? Runs {@code matMulSmallTile}'s loop (pass-major activations, rows in
 * groups of {@link WeightMatrix#SMALL_TILE_ROWS}, passes of {@link WeightMatrix#SMALL_TILE_PASS} columns) with the
 * activations starting at 16 consecutive float offsets into one array, so exactly one offset puts them on a 64-byte
 * boundary (the array is humongous, so G1 does not move it; which offset that is, Java does not say). The offsets
 * rotate round by round in one JVM; microseconds per token per million weights, medians, one thread.
 * <pre>
 * java --add-modules jdk.incubator.vector -cp target/test-classes:target/classes \
 *     dev.ggufserve.tensor.SmallTileAlignmentProbe [rounds]
 * </pre>
 */
public final class SmallTileAlignmentProbe {

    private static final int SHIFTS = 16;

    private SmallTileAlignmentProbe() {
    }

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 9;
        probe(GgmlType.Q4_K, 4096, 3072, 8, rounds);
        probe(GgmlType.Q6_K, 1024, 8192, 8, rounds);
        probe(GgmlType.Q6_K, 1024, 8192, 4, rounds);
    }

    private static void probe(GgmlType type, int rows, int cols, int tokens, int rounds) {
        byte[] bytes = WritePhi3MiniModel.randomMatrix(type, rows, cols, 7);
        MemorySegment segment = Arena.global().allocate(bytes.length, 64);
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, segment, 0, bytes.length);
        WeightMatrix matrix = WeightMatrix.of(segment, type, rows, cols);
        int width = WeightMatrix.smallTileWidth(tokens);
        int passes = cols / WeightMatrix.SMALL_TILE_PASS;
        // 8 MB, more than half of any G1 region: a humongous object, which young collections never move
        float[] x = new float[Math.max(2 << 20, passes * width * WeightMatrix.SMALL_TILE_PASS + SHIFTS)];
        SplittableRandom random = new SplittableRandom(5);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        float[] acc = new float[WeightMatrix.SMALL_TILE_ROWS * width * COUNT];
        float[] buffer = new float[WeightMatrix.SMALL_TILE_PASS];
        double[][] times = new double[SHIFTS][rounds];
        for (int round = -3; round < rounds; round++) {   // 3 untimed rounds: compilation
            for (int shift = 0; shift < SHIFTS; shift++) {
                long start = System.nanoTime();
                run(matrix, x, shift, tokens, width, acc, buffer);
                if (round >= 0) {
                    times[shift][round] = (System.nanoTime() - start) / 1e3 / tokens / (rows * (double) cols / 1e6);
                }
            }
        }
        StringBuilder line = new StringBuilder(String.format("%-5s %5dx%-5d %d tokens, by float offset:", type, rows,
                cols, tokens));
        for (int shift = 0; shift < SHIFTS; shift++) {
            Arrays.sort(times[shift]);
            line.append(String.format(" %5.1f", times[shift][rounds / 2]));
        }
        System.out.println(line);
    }

    /** {@code matMulSmallTile}'s loop over every row, its activations at {@code x[shift ...]}. */
    private static void run(WeightMatrix matrix, float[] x, int shift, int tokens, int width, float[] acc,
            float[] buffer) {
        int cols = matrix.cols();
        int blockSize = matrix.type().blockSize();
        long blockBytes = matrix.type().bytesFor(blockSize);
        long rowBytes = matrix.type().bytesFor(cols);
        for (int group = 0; group < matrix.rows(); group += WeightMatrix.SMALL_TILE_ROWS) {
            Arrays.fill(acc, 0f);
            for (int column = 0; column < cols; column += WeightMatrix.SMALL_TILE_PASS) {
                long passOffset = column / blockSize * blockBytes;
                int passActivations = shift + column / WeightMatrix.SMALL_TILE_PASS * width
                        * WeightMatrix.SMALL_TILE_PASS;
                for (int i = 0; i < WeightMatrix.SMALL_TILE_ROWS; i++) {
                    matrix.addPassToTokens((group + i) * rowBytes + passOffset,
                            WeightMatrix.SMALL_TILE_PASS / blockSize, x, passActivations, tokens, acc,
                            i * width * COUNT, buffer, 0);
                }
            }
        }
    }
}
