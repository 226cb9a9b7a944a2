package dev.ggufserve.tensor;

import static dev.ggufserve.tensor.Lanes.COUNT;
import static dev.ggufserve.tensor.Lanes.FLOATS;
import static dev.ggufserve.tensor.Lanes.INTS;
import static dev.ggufserve.tensor.Lanes.LE;
import static dev.ggufserve.tensor.Lanes.SHORTS;

import dev.ggufserve.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/** bfloat16s, 2 bytes each: the upper 16 bits of an IEEE single. */
final class BF16Matrix extends WeightMatrix {

    BF16Matrix(MemorySegment segment, int rows, int cols) {
        super(segment, GgmlType.BF16, rows, cols);
    }

    @Override
    float dotRow(long rowOffset, float[] x, int xOffset) {
        int vectorEnd = FLOATS.loopBound(cols());
        FloatVector sum = FloatVector.zero(FLOATS);
        int j = 0;
        for (; j < vectorEnd; j += COUNT) {
            ShortVector bfloat16s = ShortVector.fromMemorySegment(SHORTS, segment, rowOffset + (long) j * Short.BYTES, LE);
            IntVector bits = (IntVector) bfloat16s.convertShape(VectorOperators.S2I, INTS, 0);
            FloatVector weights = bits.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            sum = weights.fma(FloatVector.fromArray(FLOATS, x, xOffset + j), sum);
        }
        float total = Lanes.sum(sum);
        for (; j < cols(); j++) {
            total += Bytes.bfloat16(segment, rowOffset + (long) j * Short.BYTES) * x[xOffset + j];
        }
        return total;
    }

    @Override
    void dequantizeBlocks(long offset, int blocks, float[] out, int outOffset) {
        for (int j = 0; j < blocks; j++) {
            out[outOffset + j] = Bytes.bfloat16(segment, offset + (long) j * Short.BYTES);
        }
    }
}
