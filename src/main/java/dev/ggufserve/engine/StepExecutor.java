package dev.ggufserve.engine;

import java.util.List;

/**
 * Runs forward passes for many sequences at once over one pool of KV pages: a replica's engine state. The serving
 * layer decides which sequences run in a step and which pages each holds (page ids are indexes
 * {@code [0, pageCount())} into the pool); the executor computes the step. One thread at a time.
 */
public interface StepExecutor extends AutoCloseable {

    /** Positions per KV page. */
    int pagePositions();

    /** Pages in the pool. */
    int pageCount();

    /**
     * Whether the executor reads and writes keys and values through the entries' page tables, so that full pages
     * can be shared between sequences (prefix caching). An executor that keeps its own KV per sequence instead
     * answers false, and then an entry's {@code startPosition} must not exceed what that sequence computed before.
     */
    boolean sharesPages();

    /**
     * One forward pass over every entry's tokens. Each entry's logits are those the sequence would get running
     * alone, within float rounding.
     *
     * @throws IllegalArgumentException when an entry's tokens, positions or page table do not fit
     */
    void step(List<StepEntry> entries);

    /** The sequence has ended (finished, cancelled or preempted); executors that keep state per sequence drop it. */
    void release(long sequenceId);

    @Override
    void close();
}
