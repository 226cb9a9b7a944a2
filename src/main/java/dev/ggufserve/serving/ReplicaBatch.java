package dev.ggufserve.serving;

import dev.ggufserve.engine.StepEntry;
import dev.ggufserve.engine.StepExecutor;
import dev.ggufserve.kvcache.PagePool;
import dev.ggufserve.metrics.ServingMetrics;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One replica's running batch: which generations run in each step, and which KV pages each one holds
 * (iteration-level scheduling, as vLLM's scheduler does). Each {@link #step}:
 * <ol>
 * <li>generations whose client left, or whose time limit passed, leave;</li>
 * <li>waiting generations are admitted while the batch has room and the pool has pages for their prompt, each
 *     starting after the longest cached prefix of its tokens;</li>
 * <li>every decoding generation gets one token, and prefilling ones get chunks of their prompt, at most
 *     {@code prefillChunk} prompt tokens in all, so a long prompt never stalls the others for long;</li>
 * <li>the executor runs the step; a generation whose tokens are all computed samples its next token;</li>
 * <li>finished generations leave, their full pages published to the prefix cache.</li>
 * </ol>
 * When the pool runs out of pages, the most recently admitted generation is preempted: its pages are freed and it
 * waits at the front of the queue, to resume later by recomputing its tokens.
 *
 * <p>Only the replica's worker thread calls {@link #step}.
 */
final class ReplicaBatch {

    private static final Logger LOG = Logger.getLogger(ReplicaBatch.class);

    private final StepExecutor executor;
    private final PagePool pool;
    private final int maxBatch;
    private final int prefillChunk;
    private final int vocabularySize;
    private final ServingMetrics metrics;
    /** In admission order: the last one is the first preempted. */
    private final List<ScheduledSequence> running = new ArrayList<>();
    private long nextSequenceId;
    /** The size of {@link #running} and the pool's page counts after the last step, read by metrics threads. */
    private volatile int runningCount;
    private volatile int pagesUsed;
    private volatile int pagesFree;
    private volatile int pagesOnlyCached;

    ReplicaBatch(StepExecutor executor, int maxBatch, int prefillChunk, int vocabularySize, ServingMetrics metrics) {
        this.executor = executor;
        this.pool = new PagePool(executor.pageCount(), executor.pagePositions(), executor.sharesPages());
        this.maxBatch = maxBatch;
        this.prefillChunk = prefillChunk;
        this.vocabularySize = vocabularySize;
        this.metrics = metrics;
        this.pagesFree = pool.pagesAvailable();
    }

    /** The most tokens one generation can hold on this replica: the whole pool. */
    int capacityTokens() {
        return pool.pageCount() * pool.pagePositions();
    }

    PagePool pool() {
        return pool;
    }

    int runningCount() {
        return runningCount;
    }

    /** KV pages read by running sequences, as of the last step. */
    int pagesUsed() {
        return pagesUsed;
    }

    /** KV pages free or holding only cached prefixes, as of the last step. */
    int pagesFree() {
        return pagesFree;
    }

    /** KV pages kept only by the prefix cache (counted in {@link #pagesFree} too), as of the last step. */
    int pagesOnlyCached() {
        return pagesOnlyCached;
    }

    boolean hasRunning() {
        return !running.isEmpty();
    }

    /** Runs one step; {@code queue} holds the generations waiting for any replica. */
    void step(WaitingQueue queue) {
        long now = System.nanoTime();
        dropLeavers(queue, now);
        admit(queue, now);
        List<ScheduledSequence> scheduled = new ArrayList<>();
        List<StepEntry> entries = plan(queue, scheduled);
        if (entries.isEmpty()) {
            publishCounts();
            return;
        }
        int tokens = entries.stream().mapToInt(entry -> entry.tokens().length).sum();
        metrics.stepRan(entries.size(), tokens);
        List<ScheduledSequence> computed = run(entries, scheduled, queue);
        for (ScheduledSequence sequence : computed) {
            sample(sequence, queue);
        }
        publishCounts();
    }

    private void publishCounts() {
        runningCount = running.size();
        pagesUsed = pool.pagesInUse();
        pagesFree = pool.pagesAvailable();
        pagesOnlyCached = pool.pagesOnlyCached();
    }

    private void dropLeavers(WaitingQueue queue, long now) {
        for (ScheduledSequence sequence : List.copyOf(running)) {
            Generation generation = sequence.generation;
            if (generation.isCancelled()) {
                leave(sequence, queue, true);
                generation.cancelled();
            } else if (generation.isPastDeadline(now)) {
                leave(sequence, queue, true);
                generation.timedOut();
            }
        }
    }

    private void admit(WaitingQueue queue, long now) {
        while (running.size() < maxBatch) {
            Generation generation = queue.poll();
            if (generation == null) {
                return;
            }
            if (generation.isCancelled()) {
                queue.ended();
                generation.cancelled();
                continue;
            }
            if (generation.isPastDeadline(now)) {
                queue.ended();
                generation.timedOut();
                continue;
            }
            // At least the last token runs, since the logits after it are needed.
            List<Integer> prefix = generation.mayUseCachedPrefix()
                    ? pool.acquirePrefix(generation.tokens(), generation.length() - 1)
                    : List.of();
            int neededPages = pool.pagesFor(Math.min(generation.length() + 1, generation.maxLength())) - prefix.size();
            // Keeping a page of growth per running generation avoids admitting one only to preempt it next step.
            if (!running.isEmpty() && neededPages > pool.pagesAvailable() - running.size()) {
                pool.releaseAll(prefix);
                queue.putBack(generation);
                return;
            }
            int cachedTokens = prefix.size() * pool.pagePositions();
            if (generation.firstAdmission()) {
                metrics.queueWaited(Duration.ofNanos(now - generation.acceptedNanos()));
            }
            metrics.prefixCacheHit(cachedTokens);
            running.add(new ScheduledSequence(generation, nextSequenceId++, prefix, cachedTokens, vocabularySize));
        }
    }

    /** The step's entries, oldest generation first; {@code scheduled} receives their sequences, index for index. */
    private List<StepEntry> plan(WaitingQueue queue, List<ScheduledSequence> scheduled) {
        List<StepEntry> entries = new ArrayList<>();
        int prefillBudget = prefillChunk;
        for (ScheduledSequence sequence : List.copyOf(running)) {
            if (!running.contains(sequence)) {
                continue; // preempted to make room for an older one
            }
            int pending = sequence.pending();
            int count = pending == 1 ? 1 : Math.min(pending, prefillBudget);
            if (count == 0) {
                continue;
            }
            if (pending > 1) {
                prefillBudget -= count;
            }
            if (!reservePages(sequence, sequence.computed + count, queue)) {
                continue;
            }
            int start = sequence.computed;
            int[] tokens = Arrays.copyOfRange(sequence.generation.tokens(), start, start + count);
            entries.add(new StepEntry(sequence.sequenceId, sequence.pageTableArray(), start, tokens, sequence.logits,
                    sequence.generation.promptListener(start)));
            scheduled.add(sequence);
        }
        return entries;
    }

    /**
     * Gives {@code sequence} pages for {@code positions} positions, preempting the most recently admitted
     * generations while the pool has none left.
     *
     * @return false when {@code sequence} itself was preempted
     */
    private boolean reservePages(ScheduledSequence sequence, int positions, WaitingQueue queue) {
        while (sequence.pageTable.size() < pool.pagesFor(positions)) {
            int page = pool.allocate();
            if (page >= 0) {
                sequence.pageTable.add(page);
                continue;
            }
            ScheduledSequence victim = running.getLast();
            preempt(victim, queue);
            if (victim == sequence) {
                return false;
            }
        }
        return true;
    }

    /**
     * Runs the step. When it throws, each entry runs again alone, to find the generation that breaks it: only that
     * one fails, the others go on (an entry rerun alone rewrites the same positions of pages only it writes).
     *
     * @return the sequences whose entries ran
     */
    private List<ScheduledSequence> run(List<StepEntry> entries, List<ScheduledSequence> scheduled,
                                        WaitingQueue queue) {
        try {
            executor.step(entries);
            return advanceComputed(entries, scheduled);
        } catch (RuntimeException batchFailure) {
            LOG.warnf("A step of %d sequences failed (%s); running them one by one", entries.size(), batchFailure);
            List<ScheduledSequence> ran = new ArrayList<>();
            for (int i = 0; i < entries.size(); i++) {
                ScheduledSequence sequence = scheduled.get(i);
                try {
                    executor.step(List.of(entries.get(i)));
                    ran.addAll(advanceComputed(List.of(entries.get(i)), List.of(sequence)));
                } catch (RuntimeException failure) {
                    LOG.error("Generation failed", failure);
                    // Its pages may hold half-written keys and values: they are freed, never published.
                    leave(sequence, queue, false);
                    sequence.generation.failed(failure);
                }
            }
            return ran;
        }
    }

    private static List<ScheduledSequence> advanceComputed(List<StepEntry> entries, List<ScheduledSequence> scheduled) {
        for (int i = 0; i < entries.size(); i++) {
            scheduled.get(i).computed += entries.get(i).tokens().length;
        }
        return scheduled;
    }

    private void sample(ScheduledSequence sequence, WaitingQueue queue) {
        if (sequence.pending() > 0) {
            return; // its prompt is still being read
        }
        try {
            if (sequence.generation.advance(sequence.logits)) {
                leave(sequence, queue, true);
            }
        } catch (RuntimeException failure) {
            LOG.error("Generation failed", failure);
            leave(sequence, queue, true);
            sequence.generation.failed(failure);
        }
    }

    private void preempt(ScheduledSequence sequence, WaitingQueue queue) {
        LOG.debugf("Preempting sequence %d (%d tokens computed): the KV pool is full", sequence.sequenceId,
                sequence.computed);
        free(sequence, true);
        metrics.preempted();
        queue.putBack(sequence.generation);
    }

    /** The generation leaves the replica for good; its sink hears why from the caller. */
    private void leave(ScheduledSequence sequence, WaitingQueue queue, boolean publish) {
        free(sequence, publish);
        queue.ended();
    }

    private void free(ScheduledSequence sequence, boolean publish) {
        running.remove(sequence);
        if (publish) {
            pool.publish(sequence.pageTable, sequence.generation.tokens(), sequence.computed);
        }
        pool.releaseAll(sequence.pageTable);
        executor.release(sequence.sequenceId);
    }
}
