package dev.ggufserve.tensor;

import static dev.ggufserve.tensor.Lanes.BYTES;
import static dev.ggufserve.tensor.Lanes.COUNT;
import static dev.ggufserve.tensor.Lanes.FLOATS;
import static dev.ggufserve.tensor.Lanes.INTS;
import static dev.ggufserve.tensor.Lanes.LE;
import static dev.ggufserve.tensor.Lanes.PAIR_BYTES;
import static dev.ggufserve.tensor.Lanes.WIDE_SHORTS;

import dev.ggufserve.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
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
final class Q6KMatrix extends KQuantMatrix {

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
     * Int lanes whose pair of 16-bit products (positions l + 2i, l + 2i + 1 of a run of {@link Lanes#WIDE_SHORTS}
     * starting at a multiple of 32) falls in the second 16-weight scale group of the run: lanes 8..15 on 512 bits,
     * none on 256 bits, where a run is 16 positions and so one group.
     */
    private static final VectorMask<Float> SECOND_SCALE_GROUP =
            VectorMask.fromLong(FLOATS, COUNT == 16 ? 0xFF00L : 0L);

    /**
     * The row's dot product with int8 activations as llama.cpp's {@code ggml_vec_dot_q6_K_q8_K} computes it:
     * per super-block {@code xd * d * sum_g sc_g * sum((q - 32) * xq)} over the 16 groups g of 16. For each run of
     * {@link Lanes#WIDE_SHORTS} positions l, ql[l], ql[l + 32] and qh[l] are loaded once, widened to 16-bit lanes
     * (x86 has no byte shifts), the four 6-bit values assembled there and offset by -32, and each multiplied by its
     * int8 quants: at most 32 * 128, exact in 16 bits. Pairs of products go to 32 bits as in
     * {@link Q4KMatrix#dotRowInt8}, convert to floats and are scaled by their group's sc (on 512 bits a run spans two
     * groups, so the scale vector holds the first group's sc in lanes 0..7 and the second's in 8..15). All sums up to
     * the block's {@code xd * d} are integers below 2^24, so exact.
     */
    @Override
    float dotRowInt8(long rowOffset, Int8Activations x) {
        short[] quants = x.quants;
        FloatVector total = FloatVector.zero(FLOATS);
        for (int block = 0; block < blocksPerRow(); block++) {
            long blockOffset = rowOffset + (long) block * BLOCK_BYTES;
            float d = Bytes.float16(segment, blockOffset + D);
            FloatVector blockSum = FloatVector.zero(FLOATS);
            for (int half = 0; half < HALVES; half++) {
                long ql = blockOffset + QL + half * QL_PER_HALF;
                long qh = blockOffset + QH + half * QH_PER_HALF;
                // The half's 8 int8 scales in one load; scale k is byte k, taken out with a shift.
                long halfScales = segment.get(Bytes.LONG_LE, blockOffset + SCALES + half * SCALES_PER_HALF);
                int xHalf = block * BLOCK_WEIGHTS + half * HALF_WEIGHTS;
                for (int l = 0; l < GROUP; l += 2 * COUNT) {
                    int s = l / SCALE_GROUP;
                    // sc of each int lane's group (the Vector API calls spelled out: see Lanes on inlining depth)
                    FloatVector scales1 = FloatVector.broadcast(FLOATS, (byte) (halfScales >>> 8 * s))
                            .blend((byte) (halfScales >>> 8 * (s + 1)), SECOND_SCALE_GROUP);
                    FloatVector scales2 = FloatVector.broadcast(FLOATS, (byte) (halfScales >>> 8 * (s + 2)))
                            .blend((byte) (halfScales >>> 8 * (s + 3)), SECOND_SCALE_GROUP);
                    FloatVector scales3 = FloatVector.broadcast(FLOATS, (byte) (halfScales >>> 8 * (s + 4)))
                            .blend((byte) (halfScales >>> 8 * (s + 5)), SECOND_SCALE_GROUP);
                    FloatVector scales4 = FloatVector.broadcast(FLOATS, (byte) (halfScales >>> 8 * (s + 6)))
                            .blend((byte) (halfScales >>> 8 * (s + 7)), SECOND_SCALE_GROUP);
                    ShortVector lowQl = (ShortVector) ByteVector.fromMemorySegment(PAIR_BYTES, segment, ql + l, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2S, WIDE_SHORTS, 0);
                    ShortVector highQl = (ShortVector) ByteVector.fromMemorySegment(PAIR_BYTES, segment, ql + GROUP + l, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2S, WIDE_SHORTS, 0);
                    ShortVector highBits = (ShortVector) ByteVector.fromMemorySegment(PAIR_BYTES, segment, qh + l, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2S, WIDE_SHORTS, 0);
                    // four low bits | two high bits << 4, minus 32, for weights l, l + 32, l + 64, l + 96
                    ShortVector q1 = lowQl.and((short) 0x0F)
                            .or(highBits.and((short) 0x03).lanewise(VectorOperators.LSHL, 4)).sub((short) 32);
                    ShortVector q2 = highQl.and((short) 0x0F)
                            .or(highBits.and((short) 0x0C).lanewise(VectorOperators.LSHL, 2)).sub((short) 32);
                    ShortVector q3 = lowQl.lanewise(VectorOperators.LSHR, 4)
                            .or(highBits.and((short) 0x30)).sub((short) 32);
                    ShortVector q4 = highQl.lanewise(VectorOperators.LSHR, 4)
                            .or(highBits.and((short) 0xC0).lanewise(VectorOperators.LSHR, 2)).sub((short) 32);
                    IntVector p1 = q1.mul(ShortVector.fromArray(WIDE_SHORTS, quants, xHalf + l)).reinterpretAsInts();
                    IntVector p2 = q2.mul(ShortVector.fromArray(WIDE_SHORTS, quants, xHalf + GROUP + l))
                            .reinterpretAsInts();
                    IntVector p3 = q3.mul(ShortVector.fromArray(WIDE_SHORTS, quants, xHalf + 2 * GROUP + l))
                            .reinterpretAsInts();
                    IntVector p4 = q4.mul(ShortVector.fromArray(WIDE_SHORTS, quants, xHalf + 3 * GROUP + l))
                            .reinterpretAsInts();
                    p1 = p1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                            .add(p1.lanewise(VectorOperators.ASHR, 16));
                    p2 = p2.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                            .add(p2.lanewise(VectorOperators.ASHR, 16));
                    p3 = p3.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                            .add(p3.lanewise(VectorOperators.ASHR, 16));
                    p4 = p4.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                            .add(p4.lanewise(VectorOperators.ASHR, 16));
                    blockSum = ((FloatVector) p1.convert(VectorOperators.I2F, 0))
                            .fma(scales1, blockSum);
                    blockSum = ((FloatVector) p2.convert(VectorOperators.I2F, 0))
                            .fma(scales2, blockSum);
                    blockSum = ((FloatVector) p3.convert(VectorOperators.I2F, 0))
                            .fma(scales3, blockSum);
                    blockSum = ((FloatVector) p4.convert(VectorOperators.I2F, 0))
                            .fma(scales4, blockSum);
                }
            }
            total = blockSum.fma(FloatVector.broadcast(FLOATS, d * x.scales[block]), total);
        }
        return Lanes.sum(total);
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
