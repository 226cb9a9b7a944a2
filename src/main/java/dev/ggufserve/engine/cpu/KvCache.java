package dev.ggufserve.engine.cpu;

import dev.ggufserve.tensor.Lanes;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * A pool of KV pages: keys and values as IEEE half-precision floats (llama.cpp's default KV cache type: half the
 * memory of float32 and half the bytes attention reads). Page {@code p} holds every layer's keys and values of
 * {@link #PAGE_POSITIONS} positions of whichever sequence the caller gives it to; a sequence names its pages in a
 * page table, entry {@code i} holding its positions {@code [i * PAGE_POSITIONS, (i + 1) * PAGE_POSITIONS)}. A page's
 * memory is allocated when it is first written, so a pool sized for a long context costs memory only once used.
 * Within a page, layer l's keys are followed by its values, and position slot s's key occupies
 * {@code [s * kvDimension, (s + 1) * kvDimension)} of them.
 *
 * <p>Attention reads the cache back through {@link #keysToFloat}/{@link #valuesToFloat}: one head's slice of up to
 * {@link #SLICE_POSITIONS} positions, gathered across the pages that hold them and converted into a small float
 * scratch, which the float kernels then use as they would the cache. Each head's slice is converted once per
 * attention step, so the conversion is one pass over the bytes attention reads anyway. The Vector API of JDK 25 has
 * no half-precision conversion, so it is done on the bits as in {@code F16Matrix}: measured on a 64-position x
 * 96-wide slice, 1.5-2x faster than the scalar {@link Float#float16ToFloat} loop, which C2 does not vectorize well
 * on rows this short.
 */
final class KvCache {

    /**
     * Positions per page: the granularity of sharing a prompt prefix between sequences (vLLM's default block size),
     * small enough that a shared prefix loses little to its last partial page.
     */
    static final int PAGE_POSITIONS = 16;
    /**
     * Positions attention converts to floats at a time, across page boundaries: long enough that its kernels run
     * mostly in whole groups of keys ({@code TileAttention} takes 6 at a time), short enough for the slice
     * (64 positions x one head) to stay in L1.
     */
    static final int SLICE_POSITIONS = 64;

    private static final VectorSpecies<Float> FLOATS = Lanes.FLOATS;
    private static final VectorSpecies<Integer> INTS = FLOATS.withLanes(int.class);
    /** As many halves as a float vector has lanes. */
    private static final VectorSpecies<Short> HALVES =
            VectorSpecies.of(short.class, VectorShape.forBitSize(FLOATS.length() * Short.SIZE));
    /** 2^112: rescales a half's exponent (bias 15) to a float's (bias 127). */
    private static final float HALF_TO_FLOAT_EXPONENT_SCALE = 0x1p112f;
    private static final int HALF_EXPONENT_BITS = 0x7C00;
    private static final int FLOAT_EXPONENT_BITS = 0x7F80_0000;

    private final int layers;
    private final int kvDimension;
    /** Halves of one layer's keys (or values) in a page. */
    private final int layerHalves;
    private final short[][] pages;

    KvCache(int layers, int pageCount, int kvDimension) {
        this.layers = layers;
        this.kvDimension = kvDimension;
        this.layerHalves = PAGE_POSITIONS * kvDimension;
        this.pages = new short[pageCount][];
    }

    int pageCount() {
        return pages.length;
    }

    /** Whether page {@code page} has been written to since the pool was made. */
    boolean isAllocated(int page) {
        return pages[page] != null;
    }

    /**
     * Rounds the key and value of {@code position} of the sequence whose pages are {@code pageTable} to half
     * precision into the cache, allocating the page when new.
     */
    void store(int[] pageTable, int layer, int position, float[] source, int keyOffset, int valueOffset) {
        int page = pageTable[position / PAGE_POSITIONS];
        short[] halves = pages[page];
        if (halves == null) {
            halves = new short[layers * 2 * layerHalves];
            pages[page] = halves;
        }
        int keys = 2 * layer * layerHalves + (position % PAGE_POSITIONS) * kvDimension;
        int values = keys + layerHalves;
        for (int i = 0; i < kvDimension; i++) {
            halves[keys + i] = Float.floatToFloat16(source[keyOffset + i]);
            halves[values + i] = Float.floatToFloat16(source[valueOffset + i]);
        }
    }

    /**
     * One past the last position of the {@link #SLICE_POSITIONS}-aligned slice that holds {@code position}, or
     * {@code limit} if that comes first.
     */
    static int sliceEnd(int position, int limit) {
        return Math.min(limit, (position / SLICE_POSITIONS + 1) * SLICE_POSITIONS);
    }

    /**
     * Keys of positions {@code [from, to)} of the sequence whose pages are {@code pageTable}, as floats: dimensions
     * {@code [kvOffset, kvOffset + width)} of position {@code from + r} go to {@code out[outOffset + r * width ...]}.
     */
    void keysToFloat(int[] pageTable, int layer, int from, int to, int kvOffset, int width, float[] out,
            int outOffset) {
        toFloat(pageTable, 2 * layer * layerHalves, from, to, kvOffset, width, out, outOffset);
    }

    /** {@link #keysToFloat} for the values. */
    void valuesToFloat(int[] pageTable, int layer, int from, int to, int kvOffset, int width, float[] out,
            int outOffset) {
        toFloat(pageTable, (2 * layer + 1) * layerHalves, from, to, kvOffset, width, out, outOffset);
    }

    /** Converts positions {@code [from, to)}, page by page, from {@code layerStart} within each page. */
    private void toFloat(int[] pageTable, int layerStart, int from, int to, int kvOffset, int width, float[] out,
            int outOffset) {
        for (int position = from; position < to; ) {
            int pageEnd = Math.min(to, (position / PAGE_POSITIONS + 1) * PAGE_POSITIONS);
            short[] page = pages[pageTable[position / PAGE_POSITIONS]];
            int source = layerStart + (position % PAGE_POSITIONS) * kvDimension + kvOffset;
            toFloat(page, source, pageEnd - position, width, out, outOffset + (position - from) * width);
            position = pageEnd;
        }
    }

    /**
     * Shifting a half's exponent and mantissa left by 13 lines them up with a float's; read as a float that is the
     * value times 2^-112, so multiplying by 2^112 gives the exact value, subnormal halves included. Infinity and NaN
     * (half exponent all ones) instead get the float's all-ones exponent; the sign bit, bit 31 of the sign-extended
     * half, is copied across last.
     */
    private void toFloat(short[] page, int firstSource, int positions, int width, float[] out, int firstTarget) {
        int vectorWidth = HALVES.loopBound(width);
        for (int r = 0; r < positions; r++) {
            int source = firstSource + r * kvDimension;
            int target = firstTarget + r * width;
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
