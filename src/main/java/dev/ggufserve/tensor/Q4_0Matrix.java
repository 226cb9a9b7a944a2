package dev.ggufserve.tensor;

import static dev.ggufserve.tensor.Lanes.BYTES;
import static dev.ggufserve.tensor.Lanes.COUNT;
import static dev.ggufserve.tensor.Lanes.FLOATS;
import static dev.ggufserve.tensor.Lanes.LE;

import dev.ggufserve.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q4_0 (ggml-common.h {@code block_q4_0}): blocks of 32 weights in 18 bytes, {@code f16 d; uint8 qs[16]}.
 * Byte j holds two weights: its low nibble is weight j, its high nibble weight j + 16; each is stored
 * offset by 8, so weight = d * (nibble - 8).
 */
final class Q4_0Matrix extends WeightMatrix {

    private static final int BLOCK_WEIGHTS = 32;
    private static final int BLOCK_BYTES = 18;
    private static final int QS = 2;
    private static final int HALF = 16;

    Q4_0Matrix(MemorySegment segment, int rows, int cols) {
        super(segment, GgmlType.Q4_0, rows, cols);
    }

    /** Per block: sum (nibble - 8) * x in float lanes for both nibble halves, then scale by d once. */
    @Override
    float dotRow(long rowOffset, float[] x, int xOffset) {
        FloatVector sum = FloatVector.zero(FLOATS);
        for (int block = 0; block < blocksPerRow(); block++) {
            long blockOffset = rowOffset + (long) block * BLOCK_BYTES;
            int xBlock = xOffset + block * BLOCK_WEIGHTS;
            FloatVector blockSum = FloatVector.zero(FLOATS);
            for (int j = 0; j < HALF; j += COUNT) {
                ByteVector packed = ByteVector.fromMemorySegment(BYTES, segment, blockOffset + QS + j, LE);
                ByteVector low = packed.and((byte) 0x0F).sub((byte) 8);
                ByteVector high = packed.lanewise(VectorOperators.LSHR, 4).sub((byte) 8);
                FloatVector lowValues = (FloatVector) low.convertShape(VectorOperators.B2F, FLOATS, 0);
                FloatVector highValues = (FloatVector) high.convertShape(VectorOperators.B2F, FLOATS, 0);
                blockSum = lowValues.fma(FloatVector.fromArray(FLOATS, x, xBlock + j), blockSum);
                blockSum = highValues.fma(FloatVector.fromArray(FLOATS, x, xBlock + HALF + j), blockSum);
            }
            float d = Bytes.float16(segment, blockOffset);
            sum = blockSum.fma(FloatVector.broadcast(FLOATS, d), sum);
        }
        return Lanes.sum(sum);
    }

    @Override
    void dequantizeBlocks(long offset, int blocks, float[] out, int outOffset) {
        for (int block = 0; block < blocks; block++) {
            long blockOffset = offset + (long) block * BLOCK_BYTES;
            int outBlock = outOffset + block * BLOCK_WEIGHTS;
            float d = Bytes.float16(segment, blockOffset);
            for (int j = 0; j < HALF; j++) {
                int packed = Bytes.unsignedByte(segment, blockOffset + QS + j);
                out[outBlock + j] = d * ((packed & 0x0F) - 8);
                out[outBlock + HALF + j] = d * ((packed >> 4) - 8);
            }
        }
    }
}
