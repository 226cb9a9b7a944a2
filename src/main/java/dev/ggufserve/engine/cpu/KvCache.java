package dev.ggufserve.engine.cpu;

/**
 * Keys and values of every position held, per layer, in pages of {@link #PAGE_POSITIONS} positions
 * allocated as the sequence grows, so a long context costs memory only once it is used.
 * Within a page, position p's key occupies {@code [p * kvDimension, (p + 1) * kvDimension)}.
 */
final class KvCache {

    static final int PAGE_POSITIONS = 64;

    private final int kvDimension;
    private final float[][][] keyPages;
    private final float[][][] valuePages;

    KvCache(int layers, int capacity, int kvDimension) {
        this.kvDimension = kvDimension;
        int pages = (capacity + PAGE_POSITIONS - 1) / PAGE_POSITIONS;
        this.keyPages = new float[layers][pages][];
        this.valuePages = new float[layers][pages][];
    }

    /** Copies the key and value of {@code position} into the cache, allocating its page when new. */
    void store(int layer, int position, float[] source, int keyOffset, int valueOffset) {
        int page = position / PAGE_POSITIONS;
        if (keyPages[layer][page] == null) {
            keyPages[layer][page] = new float[PAGE_POSITIONS * kvDimension];
            valuePages[layer][page] = new float[PAGE_POSITIONS * kvDimension];
        }
        int offset = (position % PAGE_POSITIONS) * kvDimension;
        System.arraycopy(source, keyOffset, keyPages[layer][page], offset, kvDimension);
        System.arraycopy(source, valueOffset, valuePages[layer][page], offset, kvDimension);
    }

    float[] keyPage(int layer, int position) {
        return keyPages[layer][position / PAGE_POSITIONS];
    }

    float[] valuePage(int layer, int position) {
        return valuePages[layer][position / PAGE_POSITIONS];
    }

    /** Offset of {@code position}'s vector inside its page. */
    int offsetInPage(int position) {
        return (position % PAGE_POSITIONS) * kvDimension;
    }
}
