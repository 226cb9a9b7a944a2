package dev.ggufserve.tensor;

import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
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
public final class Lanes {

    public static final VectorSpecies<Float> FLOATS =
            FloatVector.SPECIES_PREFERRED.length() >= 16 ? FloatVector.SPECIES_512 : FloatVector.SPECIES_256;
    static final int COUNT = FLOATS.length();
    static final VectorSpecies<Integer> INTS = FLOATS.withLanes(int.class);
    /** {@link #COUNT} bytes: 128 bits next to 512-bit floats. */
    static final VectorSpecies<Byte> BYTES = VectorSpecies.of(byte.class, VectorShape.forBitSize(COUNT * Byte.SIZE));
    /** {@link #COUNT} 16-bit values: 256 bits next to 512-bit floats. */
    static final VectorSpecies<Short> SHORTS = VectorSpecies.of(short.class, VectorShape.forBitSize(COUNT * Short.SIZE));

    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** Lane i + half (mod COUNT) for half = COUNT/2, COUNT/4, ...: the folds of {@link #sum}. */
    private static final VectorShuffle<Float> FOLD_8 = VectorShuffle.fromOp(FLOATS, i -> (i + 8) % COUNT);
    private static final VectorShuffle<Float> FOLD_4 = VectorShuffle.fromOp(FLOATS, i -> (i + 4) % COUNT);
    private static final VectorShuffle<Float> FOLD_2 = VectorShuffle.fromOp(FLOATS, i -> (i + 2) % COUNT);
    private static final VectorShuffle<Float> FOLD_1 = VectorShuffle.fromOp(FLOATS, i -> (i + 1) % COUNT);

    private Lanes() {
    }

    /**
     * The sum of the lanes, added in a fixed tree order. {@code reduceLanes(ADD)} leaves the order open, and the
     * compiled intrinsic and the interpreter's fallback do use different orders, so the same input could give
     * results differing in the last bit depending on whether a kernel had been JIT-compiled yet. Lane moves are
     * exact, so this gives the same float either way.
     */
    public static float sum(FloatVector v) {
        if (COUNT == 16) {
            v = v.add(v.rearrange(FOLD_8));
        }
        v = v.add(v.rearrange(FOLD_4));
        v = v.add(v.rearrange(FOLD_2));
        v = v.add(v.rearrange(FOLD_1));
        return v.lane(0);
    }
}
