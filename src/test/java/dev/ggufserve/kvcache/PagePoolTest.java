package dev.ggufserve.kvcache;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PagePoolTest {

    private static final int PAGE = 4;

    private static int[] tokens(int from, int count) {
        return IntStream.range(from, from + count).toArray();
    }

    private static List<Integer> allocate(PagePool pool, int pages) {
        List<Integer> table = new ArrayList<>();
        for (int i = 0; i < pages; i++) {
            int page = pool.allocate();
            assertTrue(page >= 0, "page " + i + " of " + pages);
            table.add(page);
        }
        return table;
    }

    @Test
    void pagesAreHandedOutOnceAndComeBackWhenReleased() {
        PagePool pool = new PagePool(3, PAGE, false);
        List<Integer> table = allocate(pool, 3);
        assertEquals(3, table.stream().distinct().count());
        assertEquals(-1, pool.allocate(), "every page is in use");
        assertEquals(3, pool.pagesInUse());
        pool.release(table.get(1));
        assertEquals(table.get(1), pool.allocate());
        pool.releaseAll(table);
        assertEquals(0, pool.pagesInUse());
        assertEquals(3, pool.pagesAvailable());
        assertThrows(IllegalStateException.class, () -> pool.release(table.getFirst()));
    }

    @Test
    void theLastReleasedPageIsHandedOutFirstSoUntouchedPagesStayUntouched() {
        PagePool pool = new PagePool(8, PAGE, false);
        List<Integer> first = allocate(pool, 3);
        pool.releaseAll(first);
        List<Integer> second = allocate(pool, 3);
        assertEquals(first.stream().sorted().toList(), second.stream().sorted().toList(),
                "the engine allocates a page's memory when first written; these three already have it");
    }

    @Test
    void withoutPrefixCachingNothingIsMatched() {
        PagePool pool = new PagePool(4, PAGE, false);
        int[] prompt = tokens(10, 9);
        List<Integer> table = allocate(pool, 3);
        pool.publish(table, prompt, 9);
        pool.releaseAll(table);
        assertEquals(List.of(), pool.acquirePrefix(prompt, 8));
        assertEquals(4, pool.pagesAvailable());
        assertEquals(0, pool.cachedPages());
    }

    @Test
    void fullPagesOfAFinishedSequenceServeTheNextPromptWithTheSamePrefix() {
        PagePool pool = new PagePool(8, PAGE, true);
        int[] first = tokens(10, 10);
        List<Integer> table = allocate(pool, 3);
        pool.publish(table, first, 10);
        pool.releaseAll(table);
        assertEquals(2, pool.cachedPages(), "only the two full pages are named");
        assertEquals(2, pool.pagesOnlyCached());
        assertEquals(0, pool.pagesInUse());

        int[] second = first.clone();
        second[9] = 99;
        List<Integer> hit = pool.acquirePrefix(second, second.length - 1);
        assertEquals(table.subList(0, 2), hit);
        assertEquals(1, pool.references(hit.getFirst()));
        assertEquals(0, pool.pagesOnlyCached(), "both cached pages are read again");

        // A second reader of the same cached pages.
        assertEquals(hit, pool.acquirePrefix(first, first.length - 1));
        assertEquals(2, pool.references(hit.getFirst()));
    }

    @Test
    void atLeastTheLastPromptTokenIsLeftToCompute() {
        PagePool pool = new PagePool(8, PAGE, true);
        int[] prompt = tokens(10, 8);
        List<Integer> table = allocate(pool, 2);
        pool.publish(table, prompt, 8);
        pool.releaseAll(table);
        assertEquals(1, pool.acquirePrefix(prompt, prompt.length - 1).size(),
                "a prompt of exactly two cached pages reuses one, so its last token runs");
    }

    @Test
    void aPageMatchesOnlyAfterTheSamePrefix() {
        PagePool pool = new PagePool(8, PAGE, true);
        int[] first = tokens(10, 8);
        List<Integer> table = allocate(pool, 2);
        pool.publish(table, first, 8);
        pool.releaseAll(table);

        int[] differentStart = first.clone();
        differentStart[0] = 1;
        assertEquals(List.of(), pool.acquirePrefix(differentStart, 7),
                "the second page holds the same tokens, but after another first page");
    }

    @Test
    void cachedPagesAreEvictedLeastRecentlyUsedFirstWhenNoPageIsFree() {
        PagePool pool = new PagePool(4, PAGE, true);
        int[] older = tokens(100, 8);
        int[] newer = tokens(200, 8);
        List<Integer> olderTable = allocate(pool, 2);
        pool.publish(olderTable, older, 8);
        pool.releaseAll(olderTable);
        List<Integer> newerTable = allocate(pool, 2);
        pool.publish(newerTable, newer, 8);
        pool.releaseAll(newerTable);
        assertEquals(4, pool.pagesAvailable(), "cached pages nobody reads can be reused");

        // Reading the older prefix again makes it the most recently used.
        pool.releaseAll(pool.acquirePrefix(older, 8));
        int evicted = pool.allocate();
        assertEquals(newerTable.get(1), evicted, "the newer prefix's tail page is the least recently used");
        assertEquals(2, pool.acquirePrefix(older, 8).size(), "the older prefix survives");
        assertEquals(1, pool.acquirePrefix(newer, 8).size(), "the newer prefix lost its tail page");
        assertEquals(3, pool.cachedPages());
    }

    @Test
    void aPageInUseIsNeverEvicted() {
        PagePool pool = new PagePool(2, PAGE, true);
        int[] prompt = tokens(10, 8);
        List<Integer> table = allocate(pool, 2);
        pool.publish(table, prompt, 8);
        assertEquals(-1, pool.allocate(), "the sequence still reads its published pages");
        pool.releaseAll(table);
        List<Integer> reading = pool.acquirePrefix(prompt, 7);
        assertEquals(1, reading.size());
        assertEquals(table.get(1), Integer.valueOf(pool.allocate()), "only the page nobody reads is evicted");
        assertEquals(-1, pool.allocate());
    }

    @Test
    void aPrefixPublishedTwiceKeepsTheFirstPages() {
        PagePool pool = new PagePool(4, PAGE, true);
        int[] prompt = tokens(10, 4);
        List<Integer> first = allocate(pool, 1);
        List<Integer> second = allocate(pool, 1);
        pool.publish(first, prompt, 4);
        pool.publish(second, prompt, 4);
        pool.releaseAll(first);
        pool.releaseAll(second);
        assertEquals(1, pool.cachedPages());
        assertEquals(first, pool.acquirePrefix(prompt, 4));
    }
}
