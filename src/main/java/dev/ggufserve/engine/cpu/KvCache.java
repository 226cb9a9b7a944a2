package dev.ggufserve.engine.cpu;

import dev.ggufserve.tensor.Lanes;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Keys and values of every position held, per layer, as IEEE half-precision floats (llama.cpp's default KV cache
 * type: half the memory of float32 and half the bytes attention reads), in pages of {@link #PAGE_POSITIONS}
 * positions allocated as the sequence grows, so a long context costs memory only once it is used.
 * Within a page, position p's key occupies {@code [p * kvDimension, (p + 1) * kvDimension)}.
 *
 * <p>Attention reads a page back through {@link #keysToFloat}/{@link #valuesToFloat}: one head's slice of up to a
 * page of positions converted into a small float scratch, which the float kernels then use as they would the cache.
 * Each head's slice is converted once per attention step, so the conversion is one pass over the bytes attention
 * reads anyway. The Vector API of JDK 25 has no half-precision conversion, so it is done on the bits as in
 * {@code F16Matrix}: measured on a 64-position x 96-wide slice, 1.5-2x faster than the scalar
 * {@link Float#float16ToFloat} loop, which C2 does not vectorize well on rows this short.
 */
final class KvCache {

    static final int PAGE_POSITIONS = 64;

    private static final VectorSpecies<Float> FLOATS = Lanes.FLOATS;
    private static final VectorSpecies<Integer> INTS = FLOATS.withLanes(int.class);
    /** As many halves as a float vector has lanes. */
    private static final VectorSpecies<Short> HALVES =
            VectorSpecies.of(short.class, VectorShape.forBitSize(FLOATS.length() * Short.SIZE));
    /** 2^112: rescales a half's exponent (bias 15) to a float's (bias 127). */
    private static final float HALF_TO_FLOAT_EXPONENT_SCALE = 0x1p112f;
    private static final int HALF_EXPONENT_BITS = 0x7C00;
    private static final int FLOAT_EXPONENT_BITS = 0x7F80_0000;

    private final int kvDimension;
    private final short[][][] keyPages;
    private final short[][][] valuePages;

    KvCache(int layers, int capacity, int kvDimension) {
        this.kvDimension = kvDimension;
        int pages = (capacity + PAGE_POSITIONS - 1) / PAGE_POSITIONS;
        this.keyPages = new short[layers][pages][];
        this.valuePages = new short[layers][pages][];
    }

    /**
     * Rounds the key and value of {@code position} to half precision into the cache, allocating its page when new.
     */
    void store(int layer, int position, float[] source, int keyOffset, int valueOffset) {
        int page = position / PAGE_POSITIONS;
        if (keyPages[layer][page] == null) {
            keyPages[layer][page] = new short[PAGE_POSITIONS * kvDimension];
            valuePages[layer][page] = new short[PAGE_POSITIONS * kvDimension];
        }
        int offset = (position % PAGE_POSITIONS) * kvDimension;
        short[] keys = keyPages[layer][page];
        short[] values = valuePages[layer][page];
        for (int i = 0; i < kvDimension; i++) {
            keys[offset + i] = Float.floatToFloat16(source[keyOffset + i]);
            values[offset + i] = Float.floatToFloat16(source[valueOffset + i]);
        }
    }

    /** One past the last position of the page that holds {@code position}, or {@code limit} if that comes first. */
    static int pageEnd(int position, int limit) {
        return Math.min(limit, (position / PAGE_POSITIONS + 1) * PAGE_POSITIONS);
    }

    /**
     * Keys of positions {@code [from, to)}, which lie in one page, as floats: dimensions
     * {@code [kvOffset, kvOffset + width)} of position {@code from + r} go to {@code out[outOffset + r * width ...]}.
     */
    void keysToFloat(int layer, int from, int to, int kvOffset, int width, float[] out, int outOffset) {
        toFloat(keyPages[layer][from / PAGE_POSITIONS], from, to, kvOffset, width, out, outOffset);
    }

    /** {@link #keysToFloat} for the values. */
    void valuesToFloat(int layer, int from, int to, int kvOffset, int width, float[] out, int outOffset) {
        toFloat(valuePages[layer][from / PAGE_POSITIONS], from, to, kvOffset, width, out, outOffset);
    }

    /**
     * Shifting a half's exponent and mantissa left by 13 lines them up with a float's; read as a float that is the
     * value times 2^-112, so multiplying by 2^112 gives the exact value, subnormal halves included. Infinity and NaN
     * (half exponent all ones) instead get the float's all-ones exponent; the sign bit, bit 31 of the sign-extended
     * half, is copied across last.
     */
    private void toFloat(short[] page, int from, int to, int kvOffset, int width, float[] out, int outOffset) {
        int vectorWidth = HALVES.loopBound(width);
        for (int position = from; position < to; position++) {
            int source = (position % PAGE_POSITIONS) * kvDimension + kvOffset;
            int target = outOffset + (position - from) * width;
            int i = 0;
            for (; i < vectorWidth; i += HALVES.length()) {
                IntVector bits = (IntVector) ShortVector.fromArray(HALVES, page, source + i)
                        .convertShape(VectorOperators.S2I, INTS, 0); // sign-extends
                IntVector magnitude = bits.and(0x7FFF).lanewise(VectorOperators.LSHL, 13);
                IntVector finite =
                        magnitude.reinterpretAsFloats().mul(HALF_TO_FLOAT_EXPONENT_SCALE).reinterpretAsInts();
                VectorMask<Integer> infinityOrNaN =
                        bits.and(HALF_EXPONENT_BITS).compare(VectorOperators.EQ, HALF_EXPONENT_BITS);
                finite.blend(magnitude.or(FLOAT_EXPONENT_BITS), infinityOrNaN)
                        .or(bits.and(0x8000_0000))
                        .reinterpretAsFloats()
                        .intoArray(out, target + i);
            }
            for (; i < width; i++) {
                out[target + i] = Float.float16ToFloat(page[source + i]);
            }
        }
    }
}
