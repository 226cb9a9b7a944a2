package dev.ggufserve.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The cache keeps keys and values as halves in the pages a sequence's page table names: what comes back is exactly
 * each stored float rounded to half, read across page boundaries.
 */
class KvCacheTest {

    private static final int KV_DIMENSION = 3 * 40;

    @Test
    void slicesComeBackAsTheHalfRoundedFloatsAcrossScatteredPages() {
        KvCache cache = new KvCache(2, 12, KV_DIMENSION);
        // the sequence's pages, out of order and skipping some, as a shared pool hands them out
        int[] pageTable = {7, 2, 9, 0, 11, 4, 5};
        Random random = new Random(7);
        float[][] stored = new float[KvCache.SLICE_POSITIONS + 2 * KvCache.PAGE_POSITIONS + 5][2 * KV_DIMENSION];
        for (int position = 0; position < stored.length; position++) {
            for (int i = 0; i < stored[position].length; i++) {
                // magnitudes from half's subnormals (below 6e-5) to beyond its largest value (65504)
                stored[position][i] = (float) (random.nextGaussian() * Math.pow(2, random.nextInt(-30, 20)));
            }
            stored[position][0] = Float.NaN;
            stored[position][1] = -0f;
            stored[position][KV_DIMENSION + 2] = Float.NEGATIVE_INFINITY;
            cache.store(pageTable, 1, position, stored[position], 0, KV_DIMENSION);
        }
        assertTrue(cache.isAllocated(7));
        assertFalse(cache.isAllocated(1));
        // a slice starting inside a page and spanning three more, of a width that is no multiple of the vector
        // lanes (a scalar tail)
        int from = KvCache.PAGE_POSITIONS + 3;
        int to = KvCache.sliceEnd(from, stored.length);
        assertEquals(KvCache.SLICE_POSITIONS, to);
        int kvOffset = 0;
        int width = 40 + 3;
        float[] keys = new float[5 + (to - from) * width];
        float[] values = new float[5 + (to - from) * width];
        cache.keysToFloat(pageTable, 1, from, to, kvOffset, width, keys, 5);
        cache.valuesToFloat(pageTable, 1, from, to, kvOffset, width, values, 5);
        for (int position = from; position < to; position++) {
            for (int i = 0; i < width; i++) {
                int at = 5 + (position - from) * width + i;
                assertEquals(halfRounded(stored[position][kvOffset + i]), keys[at], "key " + position + "/" + i);
                assertEquals(halfRounded(stored[position][KV_DIMENSION + kvOffset + i]), values[at],
                        "value " + position + "/" + i);
            }
        }
        // every other head's slice of the last slice, whose last page is partly filled
        for (int head = 0; head < 3; head++) {
            from = KvCache.SLICE_POSITIONS;
            float[] slice = new float[(stored.length - from) * 40];
            cache.valuesToFloat(pageTable, 1, from, stored.length, head * 40, 40, slice, 0);
            for (int position = from; position < stored.length; position++) {
                for (int i = 0; i < 40; i++) {
                    assertEquals(halfRounded(stored[position][KV_DIMENSION + head * 40 + i]),
                            slice[(position - from) * 40 + i]);
                }
            }
        }
    }

    private static float halfRounded(float value) {
        return Float.float16ToFloat(Float.floatToFloat16(value));
    }
}
