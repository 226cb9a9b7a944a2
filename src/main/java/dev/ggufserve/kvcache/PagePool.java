package dev.ggufserve.kvcache;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * The bookkeeping of one replica's pool of KV pages, independent of the engine that fills them: which page ids
 * {@code [0, pageCount)} are free, how many sequences read each page, and the prefix cache that names full pages by
 * the tokens they hold.
 *
 * <p>A page is in one of three states: free (on the free list, holding nothing anyone wants), in use (read by at
 * least one sequence; its reference count says how many), or cached (no sequence reads it, but it is published
 * in the {@link PrefixCache} and kept until its room is needed). {@link #allocate} takes a free page first and
 * otherwise evicts the least recently used cached one, so the pages of finished sequences stay reusable for as
 * long as the pool allows.
 *
 * <p>Only full pages are ever shared (a sequence writes its new tokens into pages of its own), so a page read by
 * several sequences is never written again. One thread at a time (the replica's worker).
 */
public final class PagePool {

    private final int pageCount;
    private final int pagePositions;
    private final int[] references;
    /**
     * Free pages, the most recently released first. A page's memory is allocated by the engine the first time it is
     * written, so handing out the pages released last keeps the pool's resident memory at the most pages ever held
     * at once, instead of touching every page of a pool sized for a whole context in turn.
     */
    private final Deque<Integer> free = new ArrayDeque<>();
    /** Cached pages no sequence reads, least recently used first: the ones {@link #allocate} may evict. */
    private final LinkedHashSet<Integer> evictable = new LinkedHashSet<>();
    private final PrefixCache prefixCache;

    /** @param prefixCaching whether full pages are published and looked up by their tokens */
    public PagePool(int pageCount, int pagePositions, boolean prefixCaching) {
        if (pageCount < 1 || pagePositions < 1) {
            throw new IllegalArgumentException("a pool needs at least one page of at least one position, got "
                    + pageCount + " pages of " + pagePositions);
        }
        this.pageCount = pageCount;
        this.pagePositions = pagePositions;
        this.references = new int[pageCount];
        for (int page = 0; page < pageCount; page++) {
            free.addLast(page);
        }
        this.prefixCache = prefixCaching ? new PrefixCache(pagePositions) : null;
    }

    public int pageCount() {
        return pageCount;
    }

    public int pagePositions() {
        return pagePositions;
    }

    /** Pages read by at least one sequence. */
    public int pagesInUse() {
        return pageCount - free.size() - evictable.size();
    }

    /** Pages {@link #allocate} can hand out now: the free ones and the cached ones no sequence reads. */
    public int pagesAvailable() {
        return free.size() + evictable.size();
    }

    /** Pages kept only by the prefix cache: published, read by no sequence, evicted when room is needed. */
    public int pagesOnlyCached() {
        return evictable.size();
    }

    /** Pages held by the prefix cache, whether a sequence reads them or not. */
    public int cachedPages() {
        return prefixCache == null ? 0 : prefixCache.size();
    }

    /** Pages needed to hold {@code positions} positions. */
    public int pagesFor(int positions) {
        return (positions + pagePositions - 1) / pagePositions;
    }

    /**
     * A page for one sequence to write (reference count 1), or -1 when every page is in use. Evicts the least
     * recently used cached page when no page is free.
     */
    public int allocate() {
        Integer page = free.pollFirst();
        if (page == null) {
            Iterator<Integer> oldest = evictable.iterator();
            if (!oldest.hasNext()) {
                return -1;
            }
            page = oldest.next();
            oldest.remove();
            prefixCache.forget(page);
        }
        references[page] = 1;
        return page;
    }

    /** One sequence stops reading {@code page}: once nobody reads it, it is cached (when published) or free. */
    public void release(int page) {
        if (references[page] <= 0) {
            throw new IllegalStateException("page " + page + " is not in use");
        }
        if (--references[page] == 0) {
            if (prefixCache != null && prefixCache.holds(page)) {
                evictable.addLast(page);
            } else {
                free.addFirst(page);
            }
        }
    }

    /**
     * Releases every page of a sequence's page table, last page first: the least recently used cached pages are
     * evicted first, so a prefix loses its tail pages before the pages that lead to them.
     */
    public void releaseAll(List<Integer> pageTable) {
        for (int index = pageTable.size() - 1; index >= 0; index--) {
            release(pageTable.get(index));
        }
    }

    /**
     * The cached pages holding the longest run of whole pages at the start of {@code tokens}, each now read by one
     * more sequence; empty without prefix caching.
     *
     * @param maxTokens the most tokens the match may cover (a caller that needs the logits after the last token
     *                  passes {@code tokens.length - 1}, so that at least that token is computed)
     */
    public List<Integer> acquirePrefix(int[] tokens, int maxTokens) {
        if (maxTokens > tokens.length) {
            throw new IllegalArgumentException("cannot match " + maxTokens + " of " + tokens.length + " tokens");
        }
        if (prefixCache == null) {
            return List.of();
        }
        List<Integer> pages = prefixCache.lookup(tokens, maxTokens / pagePositions);
        for (int page : pages) {
            if (references[page]++ == 0) {
                evictable.remove(page);
            }
        }
        return pages;
    }

    /**
     * Publishes the full pages of a sequence in the prefix cache: page {@code i} of {@code pageTable} holds the keys
     * and values of {@code tokens[i * pagePositions, (i + 1) * pagePositions)}, for the first
     * {@code computedPositions / pagePositions} pages. A prefix that is already cached under other pages stays with
     * those; the sequence's duplicates are not published and become free once released.
     */
    public void publish(List<Integer> pageTable, int[] tokens, int computedPositions) {
        if (prefixCache != null) {
            prefixCache.publish(pageTable, tokens, computedPositions / pagePositions);
        }
    }

    /** The number of sequences reading {@code page}, for tests and assertions. */
    public int references(int page) {
        return references[page];
    }
}
