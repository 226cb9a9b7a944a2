package dev.ggufserve.kvcache;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Names each full KV page by all the tokens up to its end, as vLLM's automatic prefix caching does: a page's key
 * is a hash of the previous page's key and the page's own tokens, so equal keys mean equal prefixes (up to hash
 * collisions, which {@link #lookup} rules out by comparing the stored tokens and parent keys exactly).
 */
final class PrefixCache {

    /** The key of the (empty) prefix before the first page. */
    private static final long ROOT_KEY = 0x9E3779B97F4A7C15L;

    /** One published page: the prefix it ends, told by its parent's key and its own tokens. */
    private record CachedPage(int page, long parentKey, int[] tokens) {
        boolean holds(long parent, int[] sequenceTokens, int from, int to) {
            return parentKey == parent && Arrays.equals(tokens, 0, tokens.length, sequenceTokens, from, to);
        }
    }

    private final int pagePositions;
    private final Map<Long, CachedPage> byKey = new HashMap<>();
    /** The key each cached page is published under, indexed by page id. */
    private final Map<Integer, Long> keyOfPage = new HashMap<>();

    PrefixCache(int pagePositions) {
        this.pagePositions = pagePositions;
    }

    int size() {
        return keyOfPage.size();
    }

    boolean holds(int page) {
        return keyOfPage.containsKey(page);
    }

    /** The pages caching the first whole pages of {@code tokens}, at most {@code maxPages}, in order. */
    List<Integer> lookup(int[] tokens, int maxPages) {
        List<Integer> pages = new ArrayList<>();
        long parent = ROOT_KEY;
        for (int index = 0; index < maxPages; index++) {
            int from = index * pagePositions;
            int to = from + pagePositions;
            long key = key(parent, tokens, from, to);
            CachedPage cached = byKey.get(key);
            if (cached == null || !cached.holds(parent, tokens, from, to)) {
                break;
            }
            pages.add(cached.page());
            parent = key;
        }
        return pages;
    }

    void publish(List<Integer> pageTable, int[] tokens, int fullPages) {
        long parent = ROOT_KEY;
        for (int index = 0; index < fullPages; index++) {
            int from = index * pagePositions;
            int to = from + pagePositions;
            long key = key(parent, tokens, from, to);
            int page = pageTable.get(index);
            CachedPage cached = byKey.get(key);
            if (cached == null && !holds(page)) {
                byKey.put(key, new CachedPage(page, parent, Arrays.copyOfRange(tokens, from, to)));
                keyOfPage.put(page, key);
            } else if (cached != null && !cached.holds(parent, tokens, from, to)) {
                // A hash collision with another prefix: the later pages cannot be named safely after this one.
                return;
            }
            parent = key;
        }
    }

    /** Drops an evicted page; the pages cached after it stay until evicted in turn (no lookup reaches them). */
    void forget(int page) {
        Long key = keyOfPage.remove(page);
        if (key != null) {
            byKey.remove(key);
        }
    }

    /** A 64-bit mix of the parent key and the tokens (splitmix64's finalizer per token). */
    private static long key(long parentKey, int[] tokens, int from, int to) {
        long hash = parentKey;
        for (int i = from; i < to; i++) {
            hash = mix(hash ^ (tokens[i] & 0xFFFFFFFFL) * 0xBF58476D1CE4E5B9L);
        }
        return hash;
    }

    private static long mix(long value) {
        long z = value + 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
