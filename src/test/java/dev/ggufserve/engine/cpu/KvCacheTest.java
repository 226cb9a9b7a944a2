package dev.ggufserve.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The cache keeps keys and values as halves: what comes back is exactly each stored float rounded to half. */
class KvCacheTest {

    private static final int KV_DIMENSION = 3 * 40;

    @Test
    void slicesComeBackAsTheHalfRoundedFloats() {
        KvCache cache = new KvCache(2, 3 * KvCache.PAGE_POSITIONS, KV_DIMENSION);
        Random random = new Random(7);
        float[][] stored = new float[2 * KvCache.PAGE_POSITIONS + 5][2 * KV_DIMENSION];
        for (int position = 0; position < stored.length; position++) {
            for (int i = 0; i < stored[position].length; i++) {
                // magnitudes from half's subnormals (below 6e-5) to beyond its largest value (65504)
                stored[position][i] = (float) (random.nextGaussian() * Math.pow(2, random.nextInt(-30, 20)));
            }
            stored[position][0] = Float.NaN;
            stored[position][1] = -0f;
            stored[position][KV_DIMENSION + 2] = Float.NEGATIVE_INFINITY;
            cache.store(1, position, stored[position], 0, KV_DIMENSION);
        }
        // a slice in the middle of the page, of a width that is no multiple of the vector lanes (a scalar tail)
        int from = KvCache.PAGE_POSITIONS + 3;
        int to = KvCache.pageEnd(from, stored.length);
        assertEquals(2 * KvCache.PAGE_POSITIONS, to);
        int kvOffset = 0;
        int width = 40 + 3;
        float[] keys = new float[5 + (to - from) * width];
        float[] values = new float[5 + (to - from) * width];
        cache.keysToFloat(1, from, to, kvOffset, width, keys, 5);
        cache.valuesToFloat(1, from, to, kvOffset, width, values, 5);
        for (int position = from; position < to; position++) {
            for (int i = 0; i < width; i++) {
                int at = 5 + (position - from) * width + i;
                assertEquals(halfRounded(stored[position][kvOffset + i]), keys[at], "key " + position + "/" + i);
                assertEquals(halfRounded(stored[position][KV_DIMENSION + kvOffset + i]), values[at],
                        "value " + position + "/" + i);
            }
        }
        // every other head's slice of the last, partly filled page
        for (int head = 0; head < 3; head++) {
            from = 2 * KvCache.PAGE_POSITIONS;
            float[] slice = new float[5 * 40];
            cache.valuesToFloat(1, from, stored.length, head * 40, 40, slice, 0);
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
