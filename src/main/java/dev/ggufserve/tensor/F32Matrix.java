package dev.ggufserve.tensor;

import static dev.ggufserve.tensor.Lanes.COUNT;
import static dev.ggufserve.tensor.Lanes.FLOATS;
import static dev.ggufserve.tensor.Lanes.LE;

import dev.ggufserve.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/** Plain little-endian 32-bit floats. */
final class F32Matrix extends WeightMatrix {

    F32Matrix(MemorySegment segment, int rows, int cols) {
        super(segment, GgmlType.F32, rows, cols);
    }

    @Override
    float dotRow(long rowOffset, float[] x, int xOffset) {
        int vectorEnd = FLOATS.loopBound(cols());
        FloatVector sum = FloatVector.zero(FLOATS);
        int j = 0;
        for (; j < vectorEnd; j += COUNT) {
            FloatVector w = FloatVector.fromMemorySegment(FLOATS, segment, rowOffset + (long) j * Float.BYTES, LE);
            sum = w.fma(FloatVector.fromArray(FLOATS, x, xOffset + j), sum);
        }
        float total = Lanes.sum(sum);
        for (; j < cols(); j++) {
            total += Bytes.float32(segment, rowOffset + (long) j * Float.BYTES) * x[xOffset + j];
        }
        return total;
    }

    @Override
    void dequantizeBlocks(long offset, int blocks, float[] out, int outOffset) {
        for (int j = 0; j < blocks; j++) {
            out[outOffset + j] = Bytes.float32(segment, offset + (long) j * Float.BYTES);
        }
    }
}
