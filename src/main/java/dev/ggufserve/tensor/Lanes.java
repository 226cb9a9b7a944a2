package dev.ggufserve.tensor;

import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector shapes the kernels use, and the conversions from stored weights to float lanes.
 *
 * <p>All kernels work in float vectors of {@link #COUNT} lanes and load exactly {@link #COUNT} stored values
 * (bytes or 16-bit halves) at a time, so every load converts into one float vector without splitting.
 * {@link #COUNT} is 16 on AVX-512 and 8 elsewhere; both divide the 32-weight groups every quantized
 * layout is built from. (Narrower hardware, e.g. 128-bit NEON, runs the 256-bit shape correctly but
 * without native support.)
 */
final class Lanes {

    static final VectorSpecies<Float> FLOATS =
            FloatVector.SPECIES_PREFERRED.length() >= 16 ? FloatVector.SPECIES_512 : FloatVector.SPECIES_256;
    static final int COUNT = FLOATS.length();
    static final VectorSpecies<Integer> INTS = FLOATS.withLanes(int.class);
    /** {@link #COUNT} bytes: 128 bits next to 512-bit floats. */
    static final VectorSpecies<Byte> BYTES = VectorSpecies.of(byte.class, VectorShape.forBitSize(COUNT * Byte.SIZE));
    /** {@link #COUNT} 16-bit values: 256 bits next to 512-bit floats. */
    static final VectorSpecies<Short> SHORTS = VectorSpecies.of(short.class, VectorShape.forBitSize(COUNT * Short.SIZE));

    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** 2^112: rescales a half's exponent (bias 15) to a float's (bias 127); see {@link #halvesToFloats}. */
    private static final float HALF_TO_FLOAT_EXPONENT_SCALE = 0x1p112f;
    private static final int FLOAT_EXPONENT_BITS = 0x7F80_0000;

    private Lanes() {
    }

    /** Sign-extends each byte lane to a float lane. */
    static FloatVector bytesToFloats(ByteVector bytes) {
        return (FloatVector) bytes.convertShape(VectorOperators.B2F, FLOATS, 0);
    }

    /**
     * Converts IEEE half-precision bit patterns to floats (the Vector API has no half-to-float conversion).
     * Shifting a half's exponent and mantissa left by 13 lines them up with a float's; read as a float
     * that is the value times 2^-112 (the exponent biases differ by 127 - 15), so multiplying by 2^112
     * gives the exact value, subnormal halves included. Infinity and NaN (half exponent all ones)
     * instead get the float's all-ones exponent; the sign bit is copied across last.
     */
    static FloatVector halvesToFloats(ShortVector halves) {
        IntVector bits = (IntVector) halves.convertShape(VectorOperators.S2I, INTS, 0); // sign-extends
        IntVector magnitude = bits.and(0x7FFF).lanewise(VectorOperators.LSHL, 13);
        IntVector finite = magnitude.reinterpretAsFloats().mul(HALF_TO_FLOAT_EXPONENT_SCALE).reinterpretAsInts();
        VectorMask<Integer> infinityOrNaN = bits.and(0x7C00).compare(VectorOperators.EQ, 0x7C00);
        IntVector unsigned = finite.blend(magnitude.or(FLOAT_EXPONENT_BITS), infinityOrNaN);
        return unsigned.or(bits.and(0x8000_0000)).reinterpretAsFloats();
    }

    /** Converts bfloat16 bit patterns to floats: a bfloat16 is the upper half of a float. */
    static FloatVector bfloat16sToFloats(ShortVector bfloat16s) {
        IntVector bits = (IntVector) bfloat16s.convertShape(VectorOperators.S2I, INTS, 0);
        return bits.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }
}
