package dev.ggufserve.tensor;

import static dev.ggufserve.tensor.Lanes.BYTES;
import static dev.ggufserve.tensor.Lanes.COUNT;
import static dev.ggufserve.tensor.Lanes.FLOATS;
import static dev.ggufserve.tensor.Lanes.INTS;
import static dev.ggufserve.tensor.Lanes.LE;

import dev.ggufserve.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q6_K (ggml-common.h {@code block_q6_K}): super-blocks of 256 weights in 210 bytes,
 * {@code uint8 ql[128]; uint8 qh[64]; int8 scales[16]; f16 d} (d is last). Each weight is a 6-bit value q
 * stored offset by 32, times d and the int8 scale of its 16-weight sub-block: weight = d * sc * (q - 32).
 *
 * <p>Each 128-weight half n uses 64 bytes of ql, 32 bytes of qh and 8 scales. For l in 0..31, with
 * s = l / 16, the half's weights l, l + 32, l + 64, l + 96 take their low 4 bits from the low nibble of
 * ql[l], the low nibble of ql[l + 32], the high nibble of ql[l], the high nibble of ql[l + 32], their top 2
 * bits from bits 0-1, 2-3, 4-5, 6-7 of qh[l], and their scales from sc[s], sc[s + 2], sc[s + 4], sc[s + 6].
 */
final class Q6KMatrix extends WeightMatrix {

    private static final int BLOCK_WEIGHTS = 256;
    private static final int BLOCK_BYTES = 210;
    private static final int QL = 0;
    private static final int QH = 128;
    private static final int SCALES = 192;
    private static final int D = 208;
    private static final int HALVES = 2;
    private static final int HALF_WEIGHTS = 128;
    private static final int QL_PER_HALF = 64;
    private static final int QH_PER_HALF = 32;
    private static final int SCALES_PER_HALF = 8;
    private static final int GROUP = 32;
    private static final int SCALE_GROUP = 16;
    /** The distance between two tokens' activations in the small tile's pass-major copy. */
    private static final int TOKEN = WeightMatrix.SMALL_TILE_PASS;

    Q6KMatrix(MemorySegment segment, int rows, int cols) {
        super(segment, GgmlType.Q6_K, rows, cols);
    }

    /**
     * For each run of {@link Lanes#COUNT} positions l, loads ql[l], ql[l + 32] and qh[l] once, widened to int lanes
     * (x86 has no byte shifts, and the Vector API's emulated ones cost several instructions each), and assembles
     * the four 6-bit values there; each is converted to floats and dequantized as q * (d * sc) - 32 * d * sc in one
     * FMA (the offset folded into it rather than subtracted from q), then FMAed with x. Two accumulators let
     * consecutive FMAs overlap.
     */
    @Override
    float dotRow(long rowOffset, float[] x, int xOffset) {
        FloatVector firstSum = FloatVector.zero(FLOATS);
        FloatVector secondSum = FloatVector.zero(FLOATS);
        for (int block = 0; block < blocksPerRow(); block++) {
            long blockOffset = rowOffset + (long) block * BLOCK_BYTES;
            float d = Bytes.float16(segment, blockOffset + D);
            for (int half = 0; half < HALVES; half++) {
                long ql = blockOffset + QL + half * QL_PER_HALF;
                long qh = blockOffset + QH + half * QH_PER_HALF;
                // The half's 8 int8 scales in one load; scale k is byte k, taken out with a shift.
                long halfScales = segment.get(Bytes.LONG_LE, blockOffset + SCALES + half * SCALES_PER_HALF);
                int xHalf = xOffset + block * BLOCK_WEIGHTS + half * HALF_WEIGHTS;
                for (int l = 0; l < GROUP; l += COUNT) {
                    int s = l / SCALE_GROUP;
                    float scale1 = d * (byte) (halfScales >>> 8 * s);
                    float scale2 = d * (byte) (halfScales >>> 8 * (s + 2));
                    float scale3 = d * (byte) (halfScales >>> 8 * (s + 4));
                    float scale4 = d * (byte) (halfScales >>> 8 * (s + 6));
                    IntVector lowQl = (IntVector) ByteVector.fromMemorySegment(BYTES, segment, ql + l, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
                    IntVector highQl = (IntVector) ByteVector.fromMemorySegment(BYTES, segment, ql + GROUP + l, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
                    IntVector highBits = (IntVector) ByteVector.fromMemorySegment(BYTES, segment, qh + l, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
                    // four low bits | two high bits << 4, for weights l, l + 32, l + 64, l + 96 (offset 32 not taken)
                    IntVector q1 = lowQl.and(0x0F).or(highBits.and(0x03).lanewise(VectorOperators.LSHL, 4));
                    IntVector q2 = highQl.and(0x0F).or(highBits.and(0x0C).lanewise(VectorOperators.LSHL, 2));
                    IntVector q3 = lowQl.lanewise(VectorOperators.LSHR, 4).or(highBits.and(0x30));
                    IntVector q4 = highQl.lanewise(VectorOperators.LSHR, 4)
                            .or(highBits.and(0xC0).lanewise(VectorOperators.LSHR, 2));
                    FloatVector w1 = ((FloatVector) q1.convert(VectorOperators.I2F, 0)).fma(scale1, -32 * scale1);
                    FloatVector w2 = ((FloatVector) q2.convert(VectorOperators.I2F, 0)).fma(scale2, -32 * scale2);
                    FloatVector w3 = ((FloatVector) q3.convert(VectorOperators.I2F, 0)).fma(scale3, -32 * scale3);
                    FloatVector w4 = ((FloatVector) q4.convert(VectorOperators.I2F, 0)).fma(scale4, -32 * scale4);
                    firstSum = w1.fma(FloatVector.fromArray(FLOATS, x, xHalf + l), firstSum);
                    secondSum = w2.fma(FloatVector.fromArray(FLOATS, x, xHalf + GROUP + l), secondSum);
                    firstSum = w3.fma(FloatVector.fromArray(FLOATS, x, xHalf + 2 * GROUP + l), firstSum);
                    secondSum = w4.fma(FloatVector.fromArray(FLOATS, x, xHalf + 3 * GROUP + l), secondSum);
                }
            }
        }
        return Lanes.sum(firstSum.add(secondSum));
    }

    @Override
    void dequantizeBlocks(long offset, int blocks, float[] out, int outOffset) {
        for (int block = 0; block < blocks; block++) {
            long blockOffset = offset + (long) block * BLOCK_BYTES;
            float d = Bytes.float16(segment, blockOffset + D);
            for (int half = 0; half < HALVES; half++) {
                long ql = blockOffset + QL + half * QL_PER_HALF;
                long qh = blockOffset + QH + half * QH_PER_HALF;
                // The half's 8 int8 scales in one load; scale k is byte k, taken out with a shift.
                long halfScales = segment.get(Bytes.LONG_LE, blockOffset + SCALES + half * SCALES_PER_HALF);
                int outHalf = outOffset + block * BLOCK_WEIGHTS + half * HALF_WEIGHTS;
                for (int l = 0; l < GROUP; l += COUNT) {
                    int s = l / SCALE_GROUP;
                    ByteVector lowQl = ByteVector.fromMemorySegment(BYTES, segment, ql + l, LE);
                    ByteVector highQl = ByteVector.fromMemorySegment(BYTES, segment, ql + GROUP + l, LE);
                    ByteVector highBits = ByteVector.fromMemorySegment(BYTES, segment, qh + l, LE);
                    ByteVector q1 = lowQl.and((byte) 0x0F)
                            .or(highBits.and((byte) 0x03).lanewise(VectorOperators.LSHL, 4)).sub((byte) 32);
                    ByteVector q2 = highQl.and((byte) 0x0F)
                            .or(highBits.and((byte) 0x0C).lanewise(VectorOperators.LSHL, 2)).sub((byte) 32);
                    ByteVector q3 = lowQl.lanewise(VectorOperators.LSHR, 4)
                            .or(highBits.and((byte) 0x30)).sub((byte) 32);
                    ByteVector q4 = highQl.lanewise(VectorOperators.LSHR, 4)
                            .or(highBits.and((byte) 0xC0).lanewise(VectorOperators.LSHR, 2)).sub((byte) 32);
                    ((FloatVector) q1.convertShape(VectorOperators.B2F, FLOATS, 0))
                            .mul(d * (byte) (halfScales >>> 8 * s)).intoArray(out, outHalf + l);
                    ((FloatVector) q2.convertShape(VectorOperators.B2F, FLOATS, 0))
                            .mul(d * (byte) (halfScales >>> 8 * (s + 2))).intoArray(out, outHalf + GROUP + l);
                    ((FloatVector) q3.convertShape(VectorOperators.B2F, FLOATS, 0))
                            .mul(d * (byte) (halfScales >>> 8 * (s + 4))).intoArray(out, outHalf + 2 * GROUP + l);
                    ((FloatVector) q4.convertShape(VectorOperators.B2F, FLOATS, 0))
                            .mul(d * (byte) (halfScales >>> 8 * (s + 6))).intoArray(out, outHalf + 3 * GROUP + l);
                }
            }
        }
    }

    /**
     * Fused small-tile kernels, built as {@link Q4KMatrix}'s: each vector of 16 weights is decoded as in
     * {@link #dotRow} (6-bit values assembled in int lanes, scale and offset 32 in one FMA) and FMAed from its
     * register into every token's accumulators, never stored; 4 or 8 tokens per call
     * ({@link WeightMatrix#smallTileWidth}: the activations of padding tokens are zeros). Measured, one thread,
     * microseconds per token per million weights, 3072 x 8192: 8 tokens 44-48 against
     * 63-65 decoding into a buffer, 4 tokens 50-54 against 88-90, 3 tokens 67-71 against 117-121 (docs/PERFORMANCE.md).
     */
    @Override
    void addPassToTokens(long offset, int blocks, float[] x, int xOffset, int tokens, float[] acc, int accOffset,
            float[] buffer, int bufferOffset) {
        if (tokens <= 4) {
            addPassTo4Tokens(offset, blocks, x, xOffset, acc, accOffset);
        } else {
            addPassTo8Tokens(offset, blocks, x, xOffset, acc, accOffset);
        }
    }

    /** {@link #addPassToTokens} for 4 tokens: first[t] sums the products of a half's weights run and run + 64,
     * second[t] those of run + 32 and run + 96, as {@link #dotRow}'s two sums. */
    private void addPassTo4Tokens(long offset, int blocks, float[] x, int xOffset, float[] acc, int accOffset) {
        FloatVector first0 = FloatVector.zero(FLOATS);
        FloatVector first1 = first0, first2 = first0, first3 = first0, second0 = first0;
        FloatVector second1 = first0, second2 = first0, second3 = first0;
        for (int block = 0; block < blocks; block++) {
            long blockOffset = offset + (long) block * BLOCK_BYTES;
            float d = Bytes.float16(segment, blockOffset + D);
            int xBlock = xOffset + block * BLOCK_WEIGHTS;
            // one loop over the block's runs of COUNT positions (both halves), for C2 to hoist the tokens' bounds
            // checks out of once per block (as in Q4KMatrix's kernels); the body, one run, stays small enough for
            // C1 (two runs per body ran out of C1's virtual registers, which left the method in C1's slow code:
            // docs/PERFORMANCE.md)
            for (int position = 0; position < HALVES * GROUP; position += COUNT) {
                int half = position / GROUP;
                int run = position % GROUP;
                long ql = blockOffset + QL + half * QL_PER_HALF;
                long qh = blockOffset + QH + half * QH_PER_HALF;
                long halfScales = segment.get(Bytes.LONG_LE, blockOffset + SCALES + half * SCALES_PER_HALF);
                int scaleIndex = run / SCALE_GROUP;
                float scale1 = d * (byte) (halfScales >>> 8 * (scaleIndex));
                float scale2 = d * (byte) (halfScales >>> 8 * (scaleIndex + 2));
                float scale3 = d * (byte) (halfScales >>> 8 * (scaleIndex + 4));
                float scale4 = d * (byte) (halfScales >>> 8 * (scaleIndex + 6));
                IntVector lowQl = (IntVector) ByteVector.fromMemorySegment(BYTES, segment, ql + run, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
                IntVector highQl = (IntVector) ByteVector.fromMemorySegment(BYTES, segment, ql + GROUP + run, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
                IntVector highBits = (IntVector) ByteVector.fromMemorySegment(BYTES, segment, qh + run, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
                IntVector q1 = lowQl.and(0x0F).or(highBits.and(0x03).lanewise(VectorOperators.LSHL, 4));
                IntVector q2 = highQl.and(0x0F).or(highBits.and(0x0C).lanewise(VectorOperators.LSHL, 2));
                IntVector q3 = lowQl.lanewise(VectorOperators.LSHR, 4).or(highBits.and(0x30));
                IntVector q4 = highQl.lanewise(VectorOperators.LSHR, 4)
                        .or(highBits.and(0xC0).lanewise(VectorOperators.LSHR, 2));
                FloatVector w1 = ((FloatVector) q1.convert(VectorOperators.I2F, 0)).fma(scale1, -32 * scale1);
                FloatVector w2 = ((FloatVector) q2.convert(VectorOperators.I2F, 0)).fma(scale2, -32 * scale2);
                FloatVector w3 = ((FloatVector) q3.convert(VectorOperators.I2F, 0)).fma(scale3, -32 * scale3);
                FloatVector w4 = ((FloatVector) q4.convert(VectorOperators.I2F, 0)).fma(scale4, -32 * scale4);
                int xRun = xBlock + half * HALF_WEIGHTS + run;
                first0 = w1.fma(FloatVector.fromArray(FLOATS, x, xRun), first0);
                first1 = w1.fma(FloatVector.fromArray(FLOATS, x, xRun + TOKEN), first1);
                first2 = w1.fma(FloatVector.fromArray(FLOATS, x, xRun + 2 * TOKEN), first2);
                first3 = w1.fma(FloatVector.fromArray(FLOATS, x, xRun + 3 * TOKEN), first3);
                second0 = w2.fma(FloatVector.fromArray(FLOATS, x, xRun + GROUP), second0);
                second1 = w2.fma(FloatVector.fromArray(FLOATS, x, xRun + GROUP + TOKEN), second1);
                second2 = w2.fma(FloatVector.fromArray(FLOATS, x, xRun + GROUP + 2 * TOKEN), second2);
                second3 = w2.fma(FloatVector.fromArray(FLOATS, x, xRun + GROUP + 3 * TOKEN), second3);
                first0 = w3.fma(FloatVector.fromArray(FLOATS, x, xRun + 2 * GROUP), first0);
                first1 = w3.fma(FloatVector.fromArray(FLOATS, x, xRun + 2 * GROUP + TOKEN), first1);
                first2 = w3.fma(FloatVector.fromArray(FLOATS, x, xRun + 2 * GROUP + 2 * TOKEN), first2);
                first3 = w3.fma(FloatVector.fromArray(FLOATS, x, xRun + 2 * GROUP + 3 * TOKEN), first3);
                second0 = w4.fma(FloatVector.fromArray(FLOATS, x, xRun + 3 * GROUP), second0);
                second1 = w4.fma(FloatVector.fromArray(FLOATS, x, xRun + 3 * GROUP + TOKEN), second1);
                second2 = w4.fma(FloatVector.fromArray(FLOATS, x, xRun + 3 * GROUP + 2 * TOKEN), second2);
                second3 = w4.fma(FloatVector.fromArray(FLOATS, x, xRun + 3 * GROUP + 3 * TOKEN), second3);
            }
        }
        first0.add(second0).add(FloatVector.fromArray(FLOATS, acc, accOffset)).intoArray(acc, accOffset);
        first1.add(second1).add(FloatVector.fromArray(FLOATS, acc, accOffset + COUNT))
                .intoArray(acc, accOffset + COUNT);
        first2.add(second2).add(FloatVector.fromArray(FLOATS, acc, accOffset + 2 * COUNT))
                .intoArray(acc, accOffset + 2 * COUNT);
        first3.add(second3).add(FloatVector.fromArray(FLOATS, acc, accOffset + 3 * COUNT))
                .intoArray(acc, accOffset + 3 * COUNT);
    }

    /** {@link #addPassToTokens} for 8 tokens: first[t] sums the products of a half's weights run and run + 64,
     * second[t] those of run + 32 and run + 96, as {@link #dotRow}'s two sums. */
    private void addPassTo8Tokens(long offset, int blocks, float[] x, int xOffset, float[] acc, int accOffset) {
        FloatVector first0 = FloatVector.zero(FLOATS);
        FloatVector first1 = first0, first2 = first0, first3 = first0, first4 = first0;
        FloatVector first5 = first0, first6 = first0, first7 = first0, second0 = first0;
        FloatVector second1 = first0, second2 = first0, second3 = first0, second4 = first0;
        FloatVector second5 = first0, second6 = first0, second7 = first0;
        for (int block = 0; block < blocks; block++) {
            long blockOffset = offset + (long) block * BLOCK_BYTES;
            float d = Bytes.float16(segment, blockOffset + D);
            int xBlock = xOffset + block * BLOCK_WEIGHTS;
            // one loop over the block's runs of COUNT positions (both halves), for C2 to hoist the tokens' bounds
            // checks out of once per block (as in Q4KMatrix's kernels); the body, one run, stays small enough for
            // C1 (two runs per body ran out of C1's virtual registers, which left the method in C1's slow code:
            // docs/PERFORMANCE.md)
            for (int position = 0; position < HALVES * GROUP; position += COUNT) {
                int half = position / GROUP;
                int run = position % GROUP;
                long ql = blockOffset + QL + half * QL_PER_HALF;
                long qh = blockOffset + QH + half * QH_PER_HALF;
                long halfScales = segment.get(Bytes.LONG_LE, blockOffset + SCALES + half * SCALES_PER_HALF);
                int scaleIndex = run / SCALE_GROUP;
                float scale1 = d * (byte) (halfScales >>> 8 * (scaleIndex));
                float scale2 = d * (byte) (halfScales >>> 8 * (scaleIndex + 2));
                float scale3 = d * (byte) (halfScales >>> 8 * (scaleIndex + 4));
                float scale4 = d * (byte) (halfScales >>> 8 * (scaleIndex + 6));
                IntVector lowQl = (IntVector) ByteVector.fromMemorySegment(BYTES, segment, ql + run, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
                IntVector highQl = (IntVector) ByteVector.fromMemorySegment(BYTES, segment, ql + GROUP + run, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
                IntVector highBits = (IntVector) ByteVector.fromMemorySegment(BYTES, segment, qh + run, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
                IntVector q1 = lowQl.and(0x0F).or(highBits.and(0x03).lanewise(VectorOperators.LSHL, 4));
                IntVector q2 = highQl.and(0x0F).or(highBits.and(0x0C).lanewise(VectorOperators.LSHL, 2));
                IntVector q3 = lowQl.lanewise(VectorOperators.LSHR, 4).or(highBits.and(0x30));
                IntVector q4 = highQl.lanewise(VectorOperators.LSHR, 4)
                        .or(highBits.and(0xC0).lanewise(VectorOperators.LSHR, 2));
                FloatVector w1 = ((FloatVector) q1.convert(VectorOperators.I2F, 0)).fma(scale1, -32 * scale1);
                FloatVector w2 = ((FloatVector) q2.convert(VectorOperators.I2F, 0)).fma(scale2, -32 * scale2);
                FloatVector w3 = ((FloatVector) q3.convert(VectorOperators.I2F, 0)).fma(scale3, -32 * scale3);
                FloatVector w4 = ((FloatVector) q4.convert(VectorOperators.I2F, 0)).fma(scale4, -32 * scale4);
                int xRun = xBlock + half * HALF_WEIGHTS + run;
                first0 = w1.fma(FloatVector.fromArray(FLOATS, x, xRun), first0);
                first1 = w1.fma(FloatVector.fromArray(FLOATS, x, xRun + TOKEN), first1);
                first2 = w1.fma(FloatVector.fromArray(FLOATS, x, xRun + 2 * TOKEN), first2);
                first3 = w1.fma(FloatVector.fromArray(FLOATS, x, xRun + 3 * TOKEN), first3);
                first4 = w1.fma(FloatVector.fromArray(FLOATS, x, xRun + 4 * TOKEN), first4);
                first5 = w1.fma(FloatVector.fromArray(FLOATS, x, xRun + 5 * TOKEN), first5);
                first6 = w1.fma(FloatVector.fromArray(FLOATS, x, xRun + 6 * TOKEN), first6);
                first7 = w1.fma(FloatVector.fromArray(FLOATS, x, xRun + 7 * TOKEN), first7);
                second0 = w2.fma(FloatVector.fromArray(FLOATS, x, xRun + GROUP), second0);
                second1 = w2.fma(FloatVector.fromArray(FLOATS, x, xRun + GROUP + TOKEN), second1);
                second2 = w2.fma(FloatVector.fromArray(FLOATS, x, xRun + GROUP + 2 * TOKEN), second2);
                second3 = w2.fma(FloatVector.fromArray(FLOATS, x, xRun + GROUP + 3 * TOKEN), second3);
                second4 = w2.fma(FloatVector.fromArray(FLOATS, x, xRun + GROUP + 4 * TOKEN), second4);
                second5 = w2.fma(FloatVector.fromArray(FLOATS, x, xRun + GROUP + 5 * TOKEN), second5);
                second6 = w2.fma(FloatVector.fromArray(FLOATS, x, xRun + GROUP + 6 * TOKEN), second6);
                second7 = w2.fma(FloatVector.fromArray(FLOATS, x, xRun + GROUP + 7 * TOKEN), second7);
                first0 = w3.fma(FloatVector.fromArray(FLOATS, x, xRun + 2 * GROUP), first0);
                first1 = w3.fma(FloatVector.fromArray(FLOATS, x, xRun + 2 * GROUP + TOKEN), first1);
                first2 = w3.fma(FloatVector.fromArray(FLOATS, x, xRun + 2 * GROUP + 2 * TOKEN), first2);
                first3 = w3.fma(FloatVector.fromArray(FLOATS, x, xRun + 2 * GROUP + 3 * TOKEN), first3);
                first4 = w3.fma(FloatVector.fromArray(FLOATS, x, xRun + 2 * GROUP + 4 * TOKEN), first4);
                first5 = w3.fma(FloatVector.fromArray(FLOATS, x, xRun + 2 * GROUP + 5 * TOKEN), first5);
                first6 = w3.fma(FloatVector.fromArray(FLOATS, x, xRun + 2 * GROUP + 6 * TOKEN), first6);
                first7 = w3.fma(FloatVector.fromArray(FLOATS, x, xRun + 2 * GROUP + 7 * TOKEN), first7);
                second0 = w4.fma(FloatVector.fromArray(FLOATS, x, xRun + 3 * GROUP), second0);
                second1 = w4.fma(FloatVector.fromArray(FLOATS, x, xRun + 3 * GROUP + TOKEN), second1);
                second2 = w4.fma(FloatVector.fromArray(FLOATS, x, xRun + 3 * GROUP + 2 * TOKEN), second2);
                second3 = w4.fma(FloatVector.fromArray(FLOATS, x, xRun + 3 * GROUP + 3 * TOKEN), second3);
                second4 = w4.fma(FloatVector.fromArray(FLOATS, x, xRun + 3 * GROUP + 4 * TOKEN), second4);
                second5 = w4.fma(FloatVector.fromArray(FLOATS, x, xRun + 3 * GROUP + 5 * TOKEN), second5);
                second6 = w4.fma(FloatVector.fromArray(FLOATS, x, xRun + 3 * GROUP + 6 * TOKEN), second6);
                second7 = w4.fma(FloatVector.fromArray(FLOATS, x, xRun + 3 * GROUP + 7 * TOKEN), second7);
            }
        }
        first0.add(second0).add(FloatVector.fromArray(FLOATS, acc, accOffset)).intoArray(acc, accOffset);
        first1.add(second1).add(FloatVector.fromArray(FLOATS, acc, accOffset + COUNT))
                .intoArray(acc, accOffset + COUNT);
        first2.add(second2).add(FloatVector.fromArray(FLOATS, acc, accOffset + 2 * COUNT))
                .intoArray(acc, accOffset + 2 * COUNT);
        first3.add(second3).add(FloatVector.fromArray(FLOATS, acc, accOffset + 3 * COUNT))
                .intoArray(acc, accOffset + 3 * COUNT);
        first4.add(second4).add(FloatVector.fromArray(FLOATS, acc, accOffset + 4 * COUNT))
                .intoArray(acc, accOffset + 4 * COUNT);
        first5.add(second5).add(FloatVector.fromArray(FLOATS, acc, accOffset + 5 * COUNT))
                .intoArray(acc, accOffset + 5 * COUNT);
        first6.add(second6).add(FloatVector.fromArray(FLOATS, acc, accOffset + 6 * COUNT))
                .intoArray(acc, accOffset + 6 * COUNT);
        first7.add(second7).add(FloatVector.fromArray(FLOATS, acc, accOffset + 7 * COUNT))
                .intoArray(acc, accOffset + 7 * COUNT);
    }
}
