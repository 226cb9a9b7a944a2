package dev.ggufserve.serving;

import dev.ggufserve.engine.StepEntry;
import dev.ggufserve.engine.StepExecutor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A step executor whose "model" is a hash: the logits after a position depend on every token up to it, read back
 * through the entry's page table from the pages the executor stored them in. A scheduler that hands out a wrong
 * page, shares a page that is still written, or resumes a sequence at the wrong position changes the logits, so
 * the outputs of the tests below would differ from a sequence run alone.
 *
 * <p>With {@code sharesPages} false it behaves as an engine keeping its own state per sequence: a sequence may not
 * continue beyond what it computed before.
 */
final class FakePagedExecutor implements StepExecutor {

    private final int pagePositions;
    private final int pageCount;
    private final boolean sharesPages;
    private final int vocabularySize;
    private final int[][] pages;
    private final Map<Long, Integer> computedBySequence = new HashMap<>();
    /** The number of entries of every step run, in order. */
    final List<Integer> stepSizes = new ArrayList<>();
    /** Tokens of every step run, in order. */
    final List<Integer> stepTokens = new ArrayList<>();
    /** An entry holding this token id throws, as a kernel fault would. */
    volatile int faultyToken = -1;

    FakePagedExecutor(int pagePositions, int pageCount, boolean sharesPages, int vocabularySize) {
        this.pagePositions = pagePositions;
        this.pageCount = pageCount;
        this.sharesPages = sharesPages;
        this.vocabularySize = vocabularySize;
        this.pages = new int[pageCount][pagePositions];
    }

    @Override
    public int pagePositions() {
        return pagePositions;
    }

    @Override
    public int pageCount() {
        return pageCount;
    }

    @Override
    public boolean sharesPages() {
        return sharesPages;
    }

    @Override
    public void step(List<StepEntry> entries) {
        stepSizes.add(entries.size());
        stepTokens.add(entries.stream().mapToInt(entry -> entry.tokens().length).sum());
        checkWrittenPagesAreOwnedByOneEntry(entries);
        for (StepEntry entry : entries) {
            run(entry);
        }
    }

    private void checkWrittenPagesAreOwnedByOneEntry(List<StepEntry> entries) {
        Set<Long> sequences = new HashSet<>();
        for (StepEntry entry : entries) {
            if (!sequences.add(entry.sequenceId())) {
                throw new AssertionError("sequence " + entry.sequenceId() + " appears twice in one step");
            }
            int firstWritten = entry.startPosition() / pagePositions;
            int lastWritten = (entry.startPosition() + entry.tokens().length - 1) / pagePositions;
            for (int index = firstWritten; index <= lastWritten; index++) {
                int page = entry.pageTable()[index];
                for (StepEntry other : entries) {
                    if (other != entry && Arrays.stream(other.pageTable()).anyMatch(p -> p == page)) {
                        throw new AssertionError("page " + page + " is written by sequence " + entry.sequenceId()
                                + " and read by sequence " + other.sequenceId() + " in the same step");
                    }
                }
            }
        }
    }

    private void run(StepEntry entry) {
        int start = entry.startPosition();
        int end = start + entry.tokens().length;
        if (entry.pageTable().length * pagePositions < end) {
            throw new IllegalArgumentException("the page table does not cover " + end + " positions");
        }
        if (!sharesPages && start > computedBySequence.getOrDefault(entry.sequenceId(), 0)) {
            throw new IllegalArgumentException("sequence " + entry.sequenceId() + " cannot continue at " + start);
        }
        for (int token : entry.tokens()) {
            if (token == faultyToken) {
                throw new IllegalStateException("simulated kernel fault");
            }
        }
        for (int i = 0; i < entry.tokens().length; i++) {
            int position = start + i;
            pages[entry.pageTable()[position / pagePositions]][position % pagePositions] = entry.tokens()[i];
        }
        long history = 17;
        for (int position = 0; position < end; position++) {
            history = history * 31 + pages[entry.pageTable()[position / pagePositions]][position % pagePositions];
            if (position >= start && (entry.everyPosition() != null || position == end - 1)) {
                float[] logits = logitsAfter(history);
                if (entry.everyPosition() != null) {
                    entry.everyPosition().accept(position - start, logits);
                }
                if (position == end - 1) {
                    System.arraycopy(logits, 0, entry.logits(), 0, logits.length);
                }
            }
        }
        computedBySequence.put(entry.sequenceId(), end);
    }

    /** Spread-out logits (so that sampling settings matter), never favouring the first few ids (BOS, EOS). */
    private float[] logitsAfter(long history) {
        float[] logits = new float[vocabularySize];
        long state = history;
        for (int id = 0; id < vocabularySize; id++) {
            state = state * 6364136223846793005L + 1442695040888963407L;
            logits[id] = id < 3 ? -20 : (state >>> 40) % 1000 / 200f;
        }
        return logits;
    }

    @Override
    public void release(long sequenceId) {
        computedBySequence.remove(sequenceId);
    }

    @Override
    public void close() {
    }
}
