package dev.ggufserve.tensor;

import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector shapes the kernels use.
 *
 * <p>All kernels work in float vectors of {@link #COUNT} lanes and load exactly {@link #COUNT} stored values
 * (bytes or 16-bit halves) at a time, so every load converts into one float vector without splitting.
 * {@link #COUNT} is 16 on AVX-512 and 8 elsewhere; both divide the 32-weight groups every quantized
 * layout is built from. (Narrower hardware, e.g. 128-bit NEON, runs the 256-bit shape correctly but
 * without native support.)
 *
 * <p>The kernels spell out their vector conversions inline rather than calling small helper methods: the
 * Vector API's own call chains are deep, and one extra level of our own pushes C2 past its inlining depth
 * (MaxInlineLevel), after which vectors are boxed as objects and a kernel runs several times slower.
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

    private Lanes() {
    }
}
