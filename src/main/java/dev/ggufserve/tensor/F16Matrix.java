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
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/** IEEE half-precision floats, 2 bytes each. */
final class F16Matrix extends WeightMatrix {

    /** 2^112: rescales a half's exponent (bias 15) to a float's (bias 127); see {@link #dotRow}. */
    private static final float HALF_TO_FLOAT_EXPONENT_SCALE = 0x1p112f;
    private static final int HALF_EXPONENT_BITS = 0x7C00;
    private static final int FLOAT_EXPONENT_BITS = 0x7F80_0000;

    F16Matrix(MemorySegment segment, int rows, int cols) {
        super(segment, GgmlType.F16, rows, cols);
    }

    /**
     * Converts {@link Lanes#COUNT} halves at a time to floats and FMAs them with x. The Vector API has no
     * half-to-float conversion, so it is done on the bits: shifting a half's exponent and mantissa left by 13
     * lines them up with a float's; read as a float that is the value times 2^-112 (the exponent biases
     * differ by 127 - 15), so multiplying by 2^112 gives the exact value, subnormal halves included.
     * Infinity and NaN (half exponent all ones) instead get the float's all-ones exponent; the sign bit is
     * copied across last.
     */
    @Override
    float dotRow(long rowOffset, float[] x, int xOffset) {
        int vectorEnd = FLOATS.loopBound(cols());
        FloatVector sum = FloatVector.zero(FLOATS);
        int j = 0;
        for (; j < vectorEnd; j += COUNT) {
            ShortVector halves = ShortVector.fromMemorySegment(SHORTS, segment, rowOffset + (long) j * Short.BYTES, LE);
            IntVector bits = (IntVector) halves.convertShape(VectorOperators.S2I, INTS, 0); // sign-extends
            IntVector magnitude = bits.and(0x7FFF).lanewise(VectorOperators.LSHL, 13);
            IntVector finite = magnitude.reinterpretAsFloats().mul(HALF_TO_FLOAT_EXPONENT_SCALE).reinterpretAsInts();
            VectorMask<Integer> infinityOrNaN =
                    bits.and(HALF_EXPONENT_BITS).compare(VectorOperators.EQ, HALF_EXPONENT_BITS);
            FloatVector weights = finite.blend(magnitude.or(FLOAT_EXPONENT_BITS), infinityOrNaN)
                    .or(bits.and(0x8000_0000))
                    .reinterpretAsFloats();
            sum = weights.fma(FloatVector.fromArray(FLOATS, x, xOffset + j), sum);
        }
        float total = Lanes.sum(sum);
        for (; j < cols(); j++) {
            total += Bytes.float16(segment, rowOffset + (long) j * Short.BYTES) * x[xOffset + j];
        }
        return total;
    }

    @Override
    void dequantizeBlocks(long offset, int blocks, float[] out, int outOffset) {
        for (int j = 0; j < blocks; j++) {
            out[outOffset + j] = Bytes.float16(segment, offset + (long) j * Short.BYTES);
        }
    }
}
