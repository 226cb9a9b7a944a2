package dev.ggufserve.engine;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@link StepExecutor} for an engine without a batched forward pass: each entry runs on a {@link Sequence} of its
 * own, one after another. Sequences keep their KV state in the engine's own per-sequence storage, so pages are not
 * shared ({@link #sharesPages()} is false) and the page tables only bound a sequence's length.
 */
public final class SequentialStepExecutor implements StepExecutor {

    private final Engine engine;
    private final int pagePositions;
    private final int pageCount;
    /** The capacity of every sequence ({@link Engine#newStepExecutor}'s {@code maxPositions}). */
    private final int maxPositions;
    private final Map<Long, Sequence> sequences = new HashMap<>();

    public SequentialStepExecutor(Engine engine, int pagePositions, int pageCount, int maxPositions) {
        Engine.checkMaxPositions(engine.trainedContextLength(), (long) pagePositions * pageCount, maxPositions);
        this.engine = engine;
        this.pagePositions = pagePositions;
        this.pageCount = pageCount;
        this.maxPositions = maxPositions;
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
        return false;
    }

    @Override
    public void step(List<StepEntry> entries) {
        for (StepEntry entry : entries) {
            Sequence sequence = sequences.get(entry.sequenceId());
            if (sequence == null) {
                sequence = engine.newSequence(maxPositions);
                sequences.put(entry.sequenceId(), sequence);
            }
            if (entry.startPosition() > sequence.length()) {
                throw new IllegalArgumentException("sequence " + entry.sequenceId() + " holds " + sequence.length()
                        + " positions, cannot continue at " + entry.startPosition());
            }
            sequence.truncate(entry.startPosition());
            float[] logits = sequence.append(entry.tokens(), entry.everyPosition());
            System.arraycopy(logits, 0, entry.logits(), 0, entry.logits().length);
        }
    }

    @Override
    public void release(long sequenceId) {
        Sequence sequence = sequences.remove(sequenceId);
        if (sequence != null) {
            sequence.close();
        }
    }

    @Override
    public void close() {
        sequences.values().forEach(Sequence::close);
        sequences.clear();
    }
}
