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
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q5_K (ggml-common.h {@code block_q5_K}): super-blocks of 256 weights in 176 bytes,
 * {@code f16 d; f16 dmin; uint8 scales[12]; uint8 qh[32]; uint8 qs[128]}. Laid out as {@link Q4KMatrix}
 * with 5-bit values: for chunk c, byte l of qh holds the fifth bit (value 16) of weight 64c + l in bit 2c
 * and of weight 64c + 32 + l in bit 2c + 1.
 */
final class Q5KMatrix extends WeightMatrix {

    private static final int BLOCK_WEIGHTS = 256;
    private static final int BLOCK_BYTES = 176;
    private static final int DMIN = 2;
    private static final int SCALES = 4;
    private static final int QH = 16;
    private static final int QS = 48;
    private static final int CHUNKS = 4;
    private static final int SUB_BLOCK = 32;
    /** The value of a weight's fifth bit. */
    private static final byte FIFTH_BIT = 16;
    /** As in {@link Q4KMatrix}: longs as wide as {@link Lanes#BYTES}, for the 8 min bytes. */
    private static final VectorSpecies<Long> MIN_LONGS = BYTES.withLanes(long.class);

    Q5KMatrix(MemorySegment segment, int rows, int cols) {
        super(segment, GgmlType.Q5_K, rows, cols);
    }

    /** As {@link #dotRow(long, float[], int, float[])}, with the sub-block sums of x computed for this row alone. */
    @Override
    float dotRow(long rowOffset, float[] x, int xOffset) {
        float[] sums = new float[blocksPerRow() * KQuantScales.SUMS_STRIDE];
        KQuantScales.subBlockSums(x, xOffset, blocksPerRow(), sums);
        return dotRow(rowOffset, x, xOffset, sums);
    }

    @Override
    float[] activationSums(float[] x, int xOffset) {
        float[] sums = groupSumsBuffer(blocksPerRow() * KQuantScales.SUMS_STRIDE);
        KQuantScales.subBlockSums(x, xOffset, blocksPerRow(), sums);
        return sums;
    }

    /**
     * As {@link Q4KMatrix}'s kernel (min term from the precomputed sub-block sums of x, one vector per super-block),
     * with each nibble's fifth bit taken from qh in int lanes: qh shifted right by 2 * chunk puts the low sub-block's
     * bit at bit 0 and the high one's at bit 1, which shifts left by 4 and 3 move to the value 16.
     */
    @Override
    float dotRow(long rowOffset, float[] x, int xOffset, float[] sums) {
        FloatVector lowSum = FloatVector.zero(FLOATS);
        FloatVector highSum = FloatVector.zero(FLOATS);
        FloatVector minSum = FloatVector.zero(FLOATS);
        for (int block = 0; block < blocksPerRow(); block++) {
            long blockOffset = rowOffset + (long) block * BLOCK_BYTES;
            int xBlock = xOffset + block * BLOCK_WEIGHTS;
            float d = Bytes.float16(segment, blockOffset);
            float dmin = Bytes.float16(segment, blockOffset + DMIN);
            long scalesFirst8 = KQuantScales.first8(segment, blockOffset + SCALES);
            int scalesLast4 = KQuantScales.last4(segment, blockOffset + SCALES);
            long scales = KQuantScales.scales(scalesFirst8, scalesLast4);
            FloatVector mins = (FloatVector) LongVector.broadcast(MIN_LONGS, KQuantScales.mins(scalesFirst8, scalesLast4))
                    .reinterpretAsBytes().convertShape(VectorOperators.B2F, FLOATS, 0);
            minSum = mins.mul(FloatVector.fromArray(FLOATS, sums, block * KQuantScales.SUMS_STRIDE))
                    .fma(FloatVector.broadcast(FLOATS, dmin), minSum);
            long qh = blockOffset + QH;
            for (int chunk = 0; chunk < CHUNKS; chunk++) {
                int lowSubBlock = 2 * chunk;
                int highSubBlock = 2 * chunk + 1;
                float lowScale = d * ((int) (scales >>> 8 * lowSubBlock) & 0xFF);
                float highScale = d * ((int) (scales >>> 8 * highSubBlock) & 0xFF);
                long chunkQs = blockOffset + QS + chunk * SUB_BLOCK;
                int xLow = xBlock + lowSubBlock * SUB_BLOCK;
                int xHigh = xBlock + highSubBlock * SUB_BLOCK;
                FloatVector lowDot = FloatVector.zero(FLOATS);
                FloatVector highDot = FloatVector.zero(FLOATS);
                for (int l = 0; l < SUB_BLOCK; l += COUNT) {
                    IntVector packed = (IntVector) ByteVector.fromMemorySegment(BYTES, segment, chunkQs + l, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
                    IntVector highBits = ((IntVector) ByteVector.fromMemorySegment(BYTES, segment, qh + l, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0))
                            .lanewise(VectorOperators.LSHR, lowSubBlock);
                    FloatVector low = (FloatVector) packed.and(0x0F)
                            .or(highBits.lanewise(VectorOperators.LSHL, 4).and(FIFTH_BIT))
                            .convert(VectorOperators.I2F, 0);
                    FloatVector high = (FloatVector) packed.lanewise(VectorOperators.LSHR, 4)
                            .or(highBits.lanewise(VectorOperators.LSHL, 3).and(FIFTH_BIT))
                            .convert(VectorOperators.I2F, 0);
                    lowDot = low.fma(FloatVector.fromArray(FLOATS, x, xLow + l), lowDot);
                    highDot = high.fma(FloatVector.fromArray(FLOATS, x, xHigh + l), highDot);
                }
                lowSum = lowDot.fma(FloatVector.broadcast(FLOATS, lowScale), lowSum);
                highSum = highDot.fma(FloatVector.broadcast(FLOATS, highScale), highSum);
            }
        }
        return Lanes.sum(lowSum.add(highSum).sub(minSum));
    }

    /** As {@link Q4KMatrix}'s: scales and mins taken apart once per super-block, and the nibbles with their fifth
     * bits assembled in int lanes as in {@link #dotRow}. */
    @Override
    void dequantizeBlocks(long offset, int blocks, float[] out, int outOffset) {
        for (int block = 0; block < blocks; block++) {
            long blockOffset = offset + (long) block * BLOCK_BYTES;
            int outBlock = outOffset + block * BLOCK_WEIGHTS;
            float d = Bytes.float16(segment, blockOffset);
            float dmin = Bytes.float16(segment, blockOffset + DMIN);
            long scalesFirst8 = KQuantScales.first8(segment, blockOffset + SCALES);
            int scalesLast4 = KQuantScales.last4(segment, blockOffset + SCALES);
            long scales = KQuantScales.scales(scalesFirst8, scalesLast4);
            long mins = KQuantScales.mins(scalesFirst8, scalesLast4);
            long qh = blockOffset + QH;
            for (int chunk = 0; chunk < CHUNKS; chunk++) {
                int lowSubBlock = 2 * chunk;
                int highSubBlock = 2 * chunk + 1;
                float lowScale = d * ((int) (scales >>> 8 * lowSubBlock) & 0xFF);
                float lowMin = dmin * ((int) (mins >>> 8 * lowSubBlock) & 0xFF);
                float highScale = d * ((int) (scales >>> 8 * highSubBlock) & 0xFF);
                float highMin = dmin * ((int) (mins >>> 8 * highSubBlock) & 0xFF);
                long chunkQs = blockOffset + QS + chunk * SUB_BLOCK;
                int outLow = outBlock + lowSubBlock * SUB_BLOCK;
                int outHigh = outBlock + highSubBlock * SUB_BLOCK;
                for (int l = 0; l < SUB_BLOCK; l += COUNT) {
                    IntVector packed = (IntVector) ByteVector.fromMemorySegment(BYTES, segment, chunkQs + l, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
                    IntVector highBits = ((IntVector) ByteVector.fromMemorySegment(BYTES, segment, qh + l, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0))
                            .lanewise(VectorOperators.LSHR, lowSubBlock);
                    ((FloatVector) packed.and(0x0F)
                            .or(highBits.lanewise(VectorOperators.LSHL, 4).and(FIFTH_BIT))
                            .convert(VectorOperators.I2F, 0)).fma(lowScale, -lowMin).intoArray(out, outLow + l);
                    ((FloatVector) packed.lanewise(VectorOperators.LSHR, 4)
                            .or(highBits.lanewise(VectorOperators.LSHL, 3).and(FIFTH_BIT))
                            .convert(VectorOperators.I2F, 0)).fma(highScale, -highMin).intoArray(out, outHigh + l);
                }
            }
        }
    }
}
