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
}
