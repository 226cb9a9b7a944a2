package dev.ggufserve.tensor;

import static dev.ggufserve.tensor.Lanes.BYTES;
import static dev.ggufserve.tensor.Lanes.COUNT;
import static dev.ggufserve.tensor.Lanes.FLOATS;
import static dev.ggufserve.tensor.Lanes.INTS;
import static dev.ggufserve.tensor.Lanes.LE;

import dev.ggufserve.gguf.GgmlType;
import dev.ggufserve.testing.WritePhi3MiniModel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.SplittableRandom;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Issue 13 leads 2 and 3 on one thread: Q4_K decode kernels over a 2048 x 3072 matrix (3.5 MB, from L3), each as a
 * whole matrix-vector product against today's {@link WeightMatrix#matVec}, the variants rotating round by round in
 * one JVM. GMAC/s, medians of the timed rounds, and each variant's largest difference from {@code matVec}'s outputs
 * relative to the largest output.
 * <ul>
 * <li><b>int16</b> (lead 2): x quantized once per call to int16 per 256 values; per row the nibbles unpacked to a
 * {@code short[]} (Vector API), the plain-Java pair loop that C2 compiles to {@code vpmaddwd} (see
 * {@code bench.MulAddProbe}) into an {@code int[]} (one 16-lane vector per 32 weights), then each sub-block's ints
 * converted and scaled by d * sc * (x's scale) with one FMA; the min term as in {@code Q4KMatrix.dotRow}.
 * <li><b>predecoded</b> (lead 3): a repacked copy with each super-block as 8 float mins (dmin * m), 8 float scales
 * (d * sc) and the 128 packed bytes (192 bytes instead of 144); the kernel is {@code dotRow}'s without the scale
 * decoding.
 * <li><b>4 rows</b> (lead 3): a repacked copy with 4 rows' super-blocks side by side (same bytes, one stream); each x
 * vector loaded once for 4 rows.
 * </ul>
 * Needs 512-bit vectors (AVX-512).
 * <pre>
 * java --add-modules jdk.incubator.vector -cp target/test-classes:target/classes dev.ggufserve.tensor.Q4KDecodeProbe
 * </pre>
 */
public final class Q4KDecodeProbe {

    private static final int ROWS = 2048;
    private static final int COLS = 3072;
    private static final int BLOCKS = COLS / 256;
    private static final int BLOCK_BYTES = 144;
    private static final int PREDECODED_BYTES = 192;
    private static final VectorSpecies<Long> MIN_LONGS = BYTES.withLanes(long.class);
    private static final VectorSpecies<Byte> QUARTER_BYTES = ByteVector.SPECIES_256;
    private static final VectorSpecies<Short> SHORTS_512 = ShortVector.SPECIES_512;
    private static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);

    private Q4KDecodeProbe() {
    }

    // ---- lead 2: int16 activations, C2's vpmaddwd loop ----

    /** x as int16 per 256 values (scale max|x| / 32767, so every per-lane sum below stays under 2^24: exact). */
    static void quantize(float[] x, short[] xq, float[] xScale) {
        for (int block = 0; block < BLOCKS; block++) {
            float max = 0;
            for (int i = 0; i < 256; i++) {
                max = Math.max(max, Math.abs(x[block * 256 + i]));
            }
            float scale = max / 32767f;
            float inverse = max == 0 ? 0 : 1 / scale;
            for (int i = 0; i < 256; i++) {
                xq[block * 256 + i] = (short) Math.round(x[block * 256 + i] * inverse);
            }
            xScale[block] = scale;
        }
    }

    /** C2 compiles this to 512-bit vpmaddwd (MulAddS2I), 4 vectors per iteration. */
    static void pairProducts(short[] w, short[] xq, int[] products, int pairs) {
        for (int i = 0; i < pairs; i++) {
            products[i] = w[2 * i] * xq[2 * i] + w[2 * i + 1] * xq[2 * i + 1];
        }
    }

    static float dotRowInt16(MemorySegment segment, long rowOffset, short[] xq, float[] xScale, float[] sums,
            short[] w, int[] products, float[] subScales) {
        FloatVector minSum = FloatVector.zero(FLOATS);
        for (int block = 0; block < BLOCKS; block++) {
            long blockOffset = rowOffset + (long) block * BLOCK_BYTES;
            float d = Bytes.float16(segment, blockOffset) * xScale[block];
            long first8 = KQuantScales.first8(segment, blockOffset + 4);
            int last4 = KQuantScales.last4(segment, blockOffset + 4);
            long scales = KQuantScales.scales(first8, last4);
            minSum = ((FloatVector) LongVector.broadcast(MIN_LONGS, KQuantScales.mins(first8, last4))
                    .reinterpretAsBytes().convertShape(VectorOperators.B2F, FLOATS, 0))
                    .mul(FloatVector.fromArray(FLOATS, sums, block * KQuantScales.SUMS_STRIDE))
                    .fma(FloatVector.broadcast(FLOATS, Bytes.float16(segment, blockOffset + 2)), minSum);
            for (int j = 0; j < 8; j++) {
                subScales[block * 8 + j] = d * ((int) (scales >>> 8 * j) & 0xFF);
            }
            for (int chunk = 0; chunk < 4; chunk++) {
                ShortVector packed = (ShortVector) ByteVector.fromMemorySegment(QUARTER_BYTES, segment,
                        blockOffset + 16 + 32 * chunk, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, SHORTS_512, 0);
                int at = block * 256 + 64 * chunk;
                packed.and((short) 0x0F).intoArray(w, at);
                packed.lanewise(VectorOperators.LSHR, 4).intoArray(w, at + 32);
            }
        }
        pairProducts(w, xq, products, COLS / 2);
        FloatVector sum = FloatVector.zero(FLOATS);
        for (int subBlock = 0; subBlock < COLS / 32; subBlock++) {
            sum = ((FloatVector) IntVector.fromArray(INTS, products, 16 * subBlock).convert(VectorOperators.I2F, 0))
                    .fma(FloatVector.broadcast(FLOATS, subScales[subBlock]), sum);
        }
        return Lanes.sum(sum.sub(minSum));
    }

    // ---- lead 3: repacked copies ----

    /** Each super-block as 8 float mins (dmin * m_j), 8 float scales (d * sc_j), then its 128 packed bytes. */
    static MemorySegment predecoded(MemorySegment q4k) {
        MemorySegment copy = Arena.global().allocate((long) ROWS * BLOCKS * PREDECODED_BYTES + 64, 64);
        for (long block = 0; block < (long) ROWS * BLOCKS; block++) {
            long from = block * BLOCK_BYTES;
            long to = block * PREDECODED_BYTES;
            float d = Bytes.float16(q4k, from);
            float dmin = Bytes.float16(q4k, from + 2);
            long first8 = KQuantScales.first8(q4k, from + 4);
            int last4 = KQuantScales.last4(q4k, from + 4);
            for (int j = 0; j < 8; j++) {
                copy.set(FLOAT_LE, to + 4 * j, dmin * KQuantScales.min(first8, last4, j));
                copy.set(FLOAT_LE, to + 32 + 4 * j, d * KQuantScales.scale(first8, last4, j));
            }
            MemorySegment.copy(q4k, from + 16, copy, to + 64, 128);
        }
        return copy;
    }

    /** {@code Q4KMatrix.dotRow} over the predecoded layout: one 16-float load (8 mins, then 8 scales that meet the
     * zero padding of the sums) for the min term, one scalar load per sub-block's scale. */
    static float dotRowPredecoded(MemorySegment segment, long rowOffset, float[] x, float[] sums) {
        FloatVector lowSum = FloatVector.zero(FLOATS);
        FloatVector highSum = FloatVector.zero(FLOATS);
        FloatVector minSum = FloatVector.zero(FLOATS);
        for (int block = 0; block < BLOCKS; block++) {
            long blockOffset = rowOffset + (long) block * PREDECODED_BYTES;
            int xBlock = block * 256;
            minSum = FloatVector.fromMemorySegment(FLOATS, segment, blockOffset, LE)
                    .fma(FloatVector.fromArray(FLOATS, sums, block * KQuantScales.SUMS_STRIDE), minSum);
            for (int chunk = 0; chunk < 4; chunk++) {
                float lowScale = segment.get(FLOAT_LE, blockOffset + 32 + 8 * chunk);
                float highScale = segment.get(FLOAT_LE, blockOffset + 36 + 8 * chunk);
                long chunkQs = blockOffset + 64 + 32 * chunk;
                int xLow = xBlock + 64 * chunk;
                int xHigh = xLow + 32;
                FloatVector lowDot = FloatVector.zero(FLOATS);
                FloatVector highDot = FloatVector.zero(FLOATS);
                for (int l = 0; l < 32; l += COUNT) {
                    IntVector packed = (IntVector) ByteVector.fromMemorySegment(BYTES, segment, chunkQs + l, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
                    lowDot = ((FloatVector) packed.and(0x0F).convert(VectorOperators.I2F, 0))
                            .fma(FloatVector.fromArray(FLOATS, x, xLow + l), lowDot);
                    highDot = ((FloatVector) packed.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0))
                            .fma(FloatVector.fromArray(FLOATS, x, xHigh + l), highDot);
                }
                lowSum = lowDot.fma(FloatVector.broadcast(FLOATS, lowScale), lowSum);
                highSum = highDot.fma(FloatVector.broadcast(FLOATS, highScale), highSum);
            }
        }
        return Lanes.sum(lowSum.add(highSum).sub(minSum));
    }

    /** Groups of 4 rows, super-block b of rows 4g..4g+3 side by side: the same bytes in another order. */
    static MemorySegment fourRowsInterleaved(MemorySegment q4k) {
        MemorySegment copy = Arena.global().allocate(q4k.byteSize(), 64);
        for (int row = 0; row < ROWS; row++) {
            for (int block = 0; block < BLOCKS; block++) {
                long from = ((long) row * BLOCKS + block) * BLOCK_BYTES;
                long to = (((long) (row / 4) * BLOCKS + block) * 4 + row % 4) * BLOCK_BYTES;
                MemorySegment.copy(q4k, from, copy, to, BLOCK_BYTES);
            }
        }
        return copy;
    }

    /** Lead 3b's per-block scalar work for the 4 rows: d * sc_j into {@code subScales[8r + j]}, and the min term
     * dmin * sum_j m_j * sum(x_j) added to {@code minTerms[r]}. Kept out of {@link #dotFourRows}: inlined there
     * (as {@code Q4KMatrix.dotRow} does) the kernel outgrew C2's node budget and these calls stayed calls anyway. */
    static void fourHeaders(MemorySegment group, long blocksOffset, float[] sums, int block, float[] subScales,
            float[] minTerms) {
        for (int r = 0; r < 4; r++) {
            long offset = blocksOffset + (long) r * BLOCK_BYTES;
            float d = Bytes.float16(group, offset);
            float dmin = Bytes.float16(group, offset + 2);
            long first8 = KQuantScales.first8(group, offset + 4);
            int last4 = KQuantScales.last4(group, offset + 4);
            long scales = KQuantScales.scales(first8, last4);
            long mins = KQuantScales.mins(first8, last4);
            float minTerm = 0;
            for (int j = 0; j < 8; j++) {
                subScales[8 * r + j] = d * ((int) (scales >>> 8 * j) & 0xFF);
                minTerm += ((int) (mins >>> 8 * j) & 0xFF) * sums[block * KQuantScales.SUMS_STRIDE + j];
            }
            minTerms[r] += dmin * minTerm;
        }
    }

    /** Lead 3b: rows r..r+3 from the interleaved copy (their super-blocks side by side), each x vector loaded once
     * for the 4 rows; per row the same nibble decoding and FMAs as {@code Q4KMatrix.dotRow}. Writes 4 outputs. */
    static void dotFourRows(MemorySegment group, long groupOffset, float[] x, float[] sums, float[] out, int outAt,
            float[] subScales, float[] minTerms) {
        Arrays.fill(minTerms, 0);
        FloatVector sum0 = FloatVector.zero(FLOATS);
        FloatVector sum1 = FloatVector.zero(FLOATS);
        FloatVector sum2 = FloatVector.zero(FLOATS);
        FloatVector sum3 = FloatVector.zero(FLOATS);
        for (int block = 0; block < BLOCKS; block++) {
            long blocksOffset = groupOffset + (long) block * 4 * BLOCK_BYTES;
            fourHeaders(group, blocksOffset, sums, block, subScales, minTerms);
            int xBlock = block * 256;
            for (int chunk = 0; chunk < 4; chunk++) {
                int xLow = xBlock + 64 * chunk;
                int xHigh = xLow + 32;
                long qs = blocksOffset + 16 + 32 * chunk;
                FloatVector low0 = FloatVector.zero(FLOATS);
                FloatVector high0 = FloatVector.zero(FLOATS);
                FloatVector low1 = FloatVector.zero(FLOATS);
                FloatVector high1 = FloatVector.zero(FLOATS);
                FloatVector low2 = FloatVector.zero(FLOATS);
                FloatVector high2 = FloatVector.zero(FLOATS);
                FloatVector low3 = FloatVector.zero(FLOATS);
                FloatVector high3 = FloatVector.zero(FLOATS);
                for (int l = 0; l < 32; l += COUNT) {
                    FloatVector xl = FloatVector.fromArray(FLOATS, x, xLow + l);
                    FloatVector xh = FloatVector.fromArray(FLOATS, x, xHigh + l);
                    IntVector p0 = (IntVector) ByteVector.fromMemorySegment(BYTES, group, qs + 0 + l, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
                    low0 = ((FloatVector) p0.and(0x0F).convert(VectorOperators.I2F, 0)).fma(xl, low0);
                    high0 = ((FloatVector) p0.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0))
                            .fma(xh, high0);
                    IntVector p1 = (IntVector) ByteVector.fromMemorySegment(BYTES, group, qs + 144 + l, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
                    low1 = ((FloatVector) p1.and(0x0F).convert(VectorOperators.I2F, 0)).fma(xl, low1);
                    high1 = ((FloatVector) p1.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0))
                            .fma(xh, high1);
                    IntVector p2 = (IntVector) ByteVector.fromMemorySegment(BYTES, group, qs + 288 + l, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
                    low2 = ((FloatVector) p2.and(0x0F).convert(VectorOperators.I2F, 0)).fma(xl, low2);
                    high2 = ((FloatVector) p2.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0))
                            .fma(xh, high2);
                    IntVector p3 = (IntVector) ByteVector.fromMemorySegment(BYTES, group, qs + 432 + l, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
                    low3 = ((FloatVector) p3.and(0x0F).convert(VectorOperators.I2F, 0)).fma(xl, low3);
                    high3 = ((FloatVector) p3.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0))
                            .fma(xh, high3);
                }
                sum0 = low0.fma(FloatVector.broadcast(FLOATS, subScales[0 + 2 * chunk]), sum0);
                sum0 = high0.fma(FloatVector.broadcast(FLOATS, subScales[1 + 2 * chunk]), sum0);
                sum1 = low1.fma(FloatVector.broadcast(FLOATS, subScales[8 + 2 * chunk]), sum1);
                sum1 = high1.fma(FloatVector.broadcast(FLOATS, subScales[9 + 2 * chunk]), sum1);
                sum2 = low2.fma(FloatVector.broadcast(FLOATS, subScales[16 + 2 * chunk]), sum2);
                sum2 = high2.fma(FloatVector.broadcast(FLOATS, subScales[17 + 2 * chunk]), sum2);
                sum3 = low3.fma(FloatVector.broadcast(FLOATS, subScales[24 + 2 * chunk]), sum3);
                sum3 = high3.fma(FloatVector.broadcast(FLOATS, subScales[25 + 2 * chunk]), sum3);
            }
        }
        out[outAt + 0] = sum0.reduceLanes(VectorOperators.ADD) - minTerms[0];
        out[outAt + 1] = sum1.reduceLanes(VectorOperators.ADD) - minTerms[1];
        out[outAt + 2] = sum2.reduceLanes(VectorOperators.ADD) - minTerms[2];
        out[outAt + 3] = sum3.reduceLanes(VectorOperators.ADD) - minTerms[3];
    }


    // ---- harness ----

    public static void main(String[] args) {
        if (COUNT != 16) {
            throw new IllegalStateException("this probe needs 512-bit vectors");
        }
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 12;
        byte[] bytes = WritePhi3MiniModel.randomMatrix(GgmlType.Q4_K, ROWS, COLS, 7);
        MemorySegment q4k = Arena.global().allocate(bytes.length, 64);
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, q4k, 0, bytes.length);
        WeightMatrix matrix = WeightMatrix.of(q4k, GgmlType.Q4_K, ROWS, COLS);
        MemorySegment predecoded = predecoded(q4k);
        MemorySegment four = fourRowsInterleaved(q4k);
        float[] x = new float[COLS];
        SplittableRandom random = new SplittableRandom(1);
        for (int i = 0; i < COLS; i++) {
            x[i] = (float) random.nextGaussian();
        }
        float[] sums = new float[BLOCKS * KQuantScales.SUMS_STRIDE];
        short[] xq = new short[COLS];
        float[] xScale = new float[BLOCKS];
        short[] w = new short[COLS];
        int[] products = new int[COLS / 2];
        float[] subScales = new float[COLS / 32];
        float[] fourScales = new float[32];
        float[] fourMins = new float[4];
        String[] names = {"matVec (main)", "int16 (lead 2)", "predecoded (lead 3)", "4 rows (lead 3)"};
        float[][] outs = new float[names.length][ROWS];
        int repeats = 10;
        int warmUp = 4;
        double[][] rates = new double[names.length][rounds];
        for (int round = -warmUp; round < rounds; round++) {
            for (int k = 0; k < names.length; k++) {
                int variant = Math.floorMod(k + round, names.length);
                float[] out = outs[variant];
                long start = System.nanoTime();
                for (int repeat = 0; repeat < repeats; repeat++) {
                    switch (variant) {
                        case 0 -> matrix.matVec(x, 0, out, 0, 0, ROWS);
                        case 1 -> {
                            KQuantScales.subBlockSums(x, 0, BLOCKS, sums);
                            quantize(x, xq, xScale);
                            for (int row = 0; row < ROWS; row++) {
                                out[row] = dotRowInt16(q4k, (long) row * BLOCKS * BLOCK_BYTES, xq, xScale, sums, w,
                                        products, subScales);
                            }
                        }
                        case 2 -> {
                            KQuantScales.subBlockSums(x, 0, BLOCKS, sums);
                            for (int row = 0; row < ROWS; row++) {
                                out[row] = dotRowPredecoded(predecoded, (long) row * BLOCKS * PREDECODED_BYTES, x,
                                        sums);
                            }
                        }
                        default -> {
                            KQuantScales.subBlockSums(x, 0, BLOCKS, sums);
                            for (int row = 0; row < ROWS; row += 4) {
                                dotFourRows(four, (long) row * BLOCKS * BLOCK_BYTES, x, sums, out, row, fourScales,
                                        fourMins);
                            }
                        }
                    }
                }
                long elapsed = System.nanoTime() - start;
                if (round >= 0) {
                    rates[variant][round] = (double) repeats * ROWS * COLS / elapsed;
                }
            }
        }
        float largest = 0;
        for (float value : outs[0]) {
            largest = Math.max(largest, Math.abs(value));
        }
        for (int variant = 0; variant < names.length; variant++) {
            double[] sorted = rates[variant].clone();
            Arrays.sort(sorted);
            float worst = 0;
            for (int row = 0; row < ROWS; row++) {
                worst = Math.max(worst, Math.abs(outs[variant][row] - outs[0][row]));
            }
            System.out.printf("%-20s %5.1f GMAC/s (%.1f-%.1f)  %.2fx  max diff %.1e of max |out|%n", names[variant],
                    sorted[rounds / 2], sorted[0], sorted[rounds - 1],
                    sorted[rounds / 2] / median(rates[0]), worst / largest);
        }
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
