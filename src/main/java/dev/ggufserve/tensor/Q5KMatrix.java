package dev.ggufserve.tensor;

import static dev.ggufserve.tensor.Lanes.BYTES;
import static dev.ggufserve.tensor.Lanes.COUNT;
import static dev.ggufserve.tensor.Lanes.FLOATS;
import static dev.ggufserve.tensor.Lanes.LE;

import dev.ggufserve.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

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

    Q5KMatrix(MemorySegment segment, int rows, int cols) {
        super(segment, GgmlType.Q5_K, rows, cols);
    }

    /** As {@link Q4KMatrix#dotRow}, with each nibble's fifth bit set from the chunk's bit of qh first. */
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
                long qh = blockOffset + QH;
                byte lowBit = (byte) (1 << lowSubBlock);
                byte highBit = (byte) (1 << highSubBlock);
                int xLow = xBlock + lowSubBlock * SUB_BLOCK;
                int xHigh = xBlock + highSubBlock * SUB_BLOCK;
                for (int l = 0; l < SUB_BLOCK; l += COUNT) {
                    ByteVector packed = ByteVector.fromMemorySegment(BYTES, segment, chunkQs + l, LE);
                    ByteVector highBits = ByteVector.fromMemorySegment(BYTES, segment, qh + l, LE);
                    VectorMask<Byte> lowHasFifthBit = highBits.and(lowBit).compare(VectorOperators.NE, 0);
                    VectorMask<Byte> highHasFifthBit = highBits.and(highBit).compare(VectorOperators.NE, 0);
                    ByteVector lowQuants = packed.and((byte) 0x0F)
                            .lanewise(VectorOperators.OR, FIFTH_BIT, lowHasFifthBit);
                    ByteVector highQuants = packed.lanewise(VectorOperators.LSHR, 4)
                            .lanewise(VectorOperators.OR, FIFTH_BIT, highHasFifthBit);
                    FloatVector low = ((FloatVector) lowQuants.convertShape(VectorOperators.B2F, FLOATS, 0))
                            .fma(lowScale, -lowMin);
                    FloatVector high = ((FloatVector) highQuants.convertShape(VectorOperators.B2F, FLOATS, 0))
                            .fma(highScale, -highMin);
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
                long qh = blockOffset + QH;
                byte lowBit = (byte) (1 << lowSubBlock);
                byte highBit = (byte) (1 << highSubBlock);
                int outLow = outBlock + lowSubBlock * SUB_BLOCK;
                int outHigh = outBlock + highSubBlock * SUB_BLOCK;
                for (int l = 0; l < SUB_BLOCK; l += COUNT) {
                    ByteVector packed = ByteVector.fromMemorySegment(BYTES, segment, chunkQs + l, LE);
                    ByteVector highBits = ByteVector.fromMemorySegment(BYTES, segment, qh + l, LE);
                    VectorMask<Byte> lowHasFifthBit = highBits.and(lowBit).compare(VectorOperators.NE, 0);
                    VectorMask<Byte> highHasFifthBit = highBits.and(highBit).compare(VectorOperators.NE, 0);
                    ByteVector lowQuants = packed.and((byte) 0x0F)
                            .lanewise(VectorOperators.OR, FIFTH_BIT, lowHasFifthBit);
                    ByteVector highQuants = packed.lanewise(VectorOperators.LSHR, 4)
                            .lanewise(VectorOperators.OR, FIFTH_BIT, highHasFifthBit);
                    ((FloatVector) lowQuants.convertShape(VectorOperators.B2F, FLOATS, 0))
                            .fma(lowScale, -lowMin).intoArray(out, outLow + l);
                    ((FloatVector) highQuants.convertShape(VectorOperators.B2F, FLOATS, 0))
                            .fma(highScale, -highMin).intoArray(out, outHigh + l);
                }
            }
        }
    }
}
