package dev.ggufserve.engine.cpu;

import dev.ggufserve.engine.AppendChecks;
import dev.ggufserve.engine.Sequence;
import dev.ggufserve.engine.StepEntry;
import dev.ggufserve.model.ModelConfig;
import dev.ggufserve.model.ModelWeights;
import java.util.List;

/**
 * One sequence on the CPU engine: a {@link CpuStepExecutor} over a pool of pages of its own, enough for its
 * capacity, and each append one step of one entry. So a single sequence runs the same forward pass as a batch of
 * many: prompts in tiles of up to {@link #TILE} tokens through the tiled matrix kernels, a single decoded token
 * through the matrix-vector ones.
 */
final class CpuSequence implements Sequence {

    /** Tokens processed together, {@link CpuStepExecutor#TILE}. */
    static final int TILE = CpuStepExecutor.TILE;

    private final CpuStepExecutor executor;
    private final int capacity;
    private final int vocabularySize;
    /** Pages {@code 0, 1, ...} of the private pool, in order. */
    private final int[] pageTable;
    private final float[] logits;
    private int length;

    CpuSequence(ModelConfig config, ModelWeights weights, ParallelRunner parallel, int capacity) {
        int pages = (capacity + KvCache.PAGE_POSITIONS - 1) / KvCache.PAGE_POSITIONS;
        this.executor = new CpuStepExecutor(config, weights, parallel, pages, capacity, capacity);
        this.capacity = capacity;
        this.vocabularySize = config.vocabularySize();
        this.pageTable = new int[pages];
        for (int i = 0; i < pages; i++) {
            pageTable[i] = i;
        }
        this.logits = new float[vocabularySize];
    }

    @Override
    public int length() {
        return length;
    }

    @Override
    public int capacity() {
        return capacity;
    }

    @Override
    public float[] append(int[] tokens, LogitsListener everyPosition) {
        AppendChecks.check(tokens, length, capacity, vocabularySize);
        executor.step(List.of(new StepEntry(0, pageTable, length, tokens, logits, everyPosition)));
        length += tokens.length;
        return logits;
    }

    @Override
    public void truncate(int newLength) {
        if (newLength < 0 || newLength > length) {
            throw new IllegalArgumentException("cannot truncate a sequence of " + length + " tokens to " + newLength);
        }
        length = newLength;
    }

    @Override
    public void close() {
        executor.close();
    }
}
