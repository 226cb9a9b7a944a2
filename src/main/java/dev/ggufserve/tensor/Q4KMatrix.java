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
 * Q4_K (ggml-common.h {@code block_q4_K}): super-blocks of 256 weights in 144 bytes,
 * {@code f16 d; f16 dmin; uint8 scales[12]; uint8 qs[128]}. The 8 sub-blocks of 32 weights each have a
 * 6-bit scale sc and min m ({@link KQuantScales}); weight = d * sc * q - dmin * m with q a 4-bit value.
 * The 256 weights come in 4 chunks of 64 sharing 32 bytes of qs: byte l of chunk c holds weight
 * 64c + l (low nibble, sub-block 2c) and weight 64c + 32 + l (high nibble, sub-block 2c + 1).
 */
final class Q4KMatrix extends WeightMatrix {

    private static final int BLOCK_WEIGHTS = 256;
    private static final int BLOCK_BYTES = 144;
    private static final int DMIN = 2;
    private static final int SCALES = 4;
    private static final int QS = 16;
    private static final int CHUNKS = 4;
    private static final int SUB_BLOCK = 32;

    Q4KMatrix(MemorySegment segment, int rows, int cols) {
        super(segment, GgmlType.Q4_K, rows, cols);
    }

    /**
     * Widens each group of {@link Lanes#COUNT} packed bytes to int lanes once, splits them into the low and high
     * nibbles with integer and/shift (x86 has no byte shifts), converts those to floats, dequantizes them as
     * q * (d * sc) - dmin * m (one FMA) and FMAs that with x. Low and high nibbles feed separate accumulators so
     * the two FMA chains overlap.
     */
    @Override
    float dotRow(long rowOffset, float[] x, int xOffset) {
        FloatVector lowSum = FloatVector.zero(FLOATS);
        FloatVector highSum = FloatVector.zero(FLOATS);
        for (int block = 0; block < blocksPerRow(); block++) {
            long blockOffset = rowOffset + (long) block * BLOCK_BYTES;
            int xBlock = xOffset + block * BLOCK_WEIGHTS;
            float d = Bytes.float16(segment, blockOffset);
            float dmin = Bytes.float16(segment, blockOffset + DMIN);
            long scalesFirst8 = KQuantScales.first8(segment, blockOffset + SCALES);
            int scalesLast4 = KQuantScales.last4(segment, blockOffset + SCALES);
            for (int chunk = 0; chunk < CHUNKS; chunk++) {
                int lowSubBlock = 2 * chunk;
                int highSubBlock = 2 * chunk + 1;
                float lowScale = d * KQuantScales.scale(scalesFirst8, scalesLast4, lowSubBlock);
                float lowMin = dmin * KQuantScales.min(scalesFirst8, scalesLast4, lowSubBlock);
                float highScale = d * KQuantScales.scale(scalesFirst8, scalesLast4, highSubBlock);
                float highMin = dmin * KQuantScales.min(scalesFirst8, scalesLast4, highSubBlock);
                long chunkQs = blockOffset + QS + chunk * SUB_BLOCK;
                int xLow = xBlock + lowSubBlock * SUB_BLOCK;
                int xHigh = xBlock + highSubBlock * SUB_BLOCK;
                for (int l = 0; l < SUB_BLOCK; l += COUNT) {
                    IntVector packed = (IntVector) ByteVector.fromMemorySegment(BYTES, segment, chunkQs + l, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
                    FloatVector low = ((FloatVector) packed.and(0x0F).convert(VectorOperators.I2F, 0))
                            .fma(lowScale, -lowMin);
                    FloatVector high = ((FloatVector) packed.lanewise(VectorOperators.LSHR, 4)
                            .convert(VectorOperators.I2F, 0)).fma(highScale, -highMin);
                    lowSum = low.fma(FloatVector.fromArray(FLOATS, x, xLow + l), lowSum);
                    highSum = high.fma(FloatVector.fromArray(FLOATS, x, xHigh + l), highSum);
                }
            }
        }
        return Lanes.sum(lowSum.add(highSum));
    }

    @Override
    void dequantizeBlocks(long offset, int blocks, float[] out, int outOffset) {
        for (int block = 0; block < blocks; block++) {
            long blockOffset = offset + (long) block * BLOCK_BYTES;
            int outBlock = outOffset + block * BLOCK_WEIGHTS;
            float d = Bytes.float16(segment, blockOffset);
            float dmin = Bytes.float16(segment, blockOffset + DMIN);
            long scalesFirst8 = KQuantScales.first8(segment, blockOffset + SCALES);
            int scalesLast4 = KQuantScales.last4(segment, blockOffset + SCALES);
            for (int chunk = 0; chunk < CHUNKS; chunk++) {
                int lowSubBlock = 2 * chunk;
                int highSubBlock = 2 * chunk + 1;
                float lowScale = d * KQuantScales.scale(scalesFirst8, scalesLast4, lowSubBlock);
                float lowMin = dmin * KQuantScales.min(scalesFirst8, scalesLast4, lowSubBlock);
                float highScale = d * KQuantScales.scale(scalesFirst8, scalesLast4, highSubBlock);
                float highMin = dmin * KQuantScales.min(scalesFirst8, scalesLast4, highSubBlock);
                long chunkQs = blockOffset + QS + chunk * SUB_BLOCK;
                int outLow = outBlock + lowSubBlock * SUB_BLOCK;
                int outHigh = outBlock + highSubBlock * SUB_BLOCK;
                for (int l = 0; l < SUB_BLOCK; l += COUNT) {
                    ByteVector packed = ByteVector.fromMemorySegment(BYTES, segment, chunkQs + l, LE);
                    ByteVector lowQuants = packed.and((byte) 0x0F);
                    ByteVector highQuants = packed.lanewise(VectorOperators.LSHR, 4);
                    ((FloatVector) lowQuants.convertShape(VectorOperators.B2F, FLOATS, 0))
                            .fma(lowScale, -lowMin).intoArray(out, outLow + l);
                    ((FloatVector) highQuants.convertShape(VectorOperators.B2F, FLOATS, 0))
                            .fma(highScale, -highMin).intoArray(out, outHigh + l);
                }
            }
        }
    }
}
