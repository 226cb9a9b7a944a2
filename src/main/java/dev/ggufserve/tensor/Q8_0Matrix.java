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
 * Q8_0 (ggml-common.h {@code block_q8_0}): blocks of 32 weights in 34 bytes,
 * {@code f16 d; int8 qs[32]}, weight j = d * qs[j].
 */
final class Q8_0Matrix extends WeightMatrix {

    private static final int BLOCK_WEIGHTS = 32;
    private static final int BLOCK_BYTES = 34;
    private static final int QS = 2;

    Q8_0Matrix(MemorySegment segment, int rows, int cols) {
        super(segment, GgmlType.Q8_0, rows, cols);
    }

    /** Per block: sum qs[j] * x[j] in float lanes, then scale that partial sum by d once. */
    @Override
    float dotRow(long rowOffset, float[] x, int xOffset) {
        FloatVector sum = FloatVector.zero(FLOATS);
        for (int block = 0; block < blocksPerRow(); block++) {
            long blockOffset = rowOffset + (long) block * BLOCK_BYTES;
            int xBlock = xOffset + block * BLOCK_WEIGHTS;
            FloatVector blockSum = FloatVector.zero(FLOATS);
            for (int j = 0; j < BLOCK_WEIGHTS; j += COUNT) {
                ByteVector quants = ByteVector.fromMemorySegment(BYTES, segment, blockOffset + QS + j, LE);
                FloatVector values = (FloatVector) quants.convertShape(VectorOperators.B2F, FLOATS, 0);
                blockSum = values.fma(FloatVector.fromArray(FLOATS, x, xBlock + j), blockSum);
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
            for (int j = 0; j < BLOCK_WEIGHTS; j++) {
                out[outBlock + j] = d * Bytes.signedByte(segment, blockOffset + QS + j);
            }
        }
    }
}
