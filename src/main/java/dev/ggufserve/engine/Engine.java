package dev.ggufserve.engine;

/**
 * Runs one model's forward pass. An engine holds the weights (shared, memory-mapped) and hands out
 * {@link Sequence}s, each owning the KV state of one token sequence. An engine and its sequences are
 * not thread-safe per sequence: the serving layer gives each replica its own sequence and drives it
 * from one worker at a time.
 */
public interface Engine extends AutoCloseable {

    /** "cpu" or "cuda". */
    String kind();

    /** Number of logits the model produces per position. */
    int vocabularySize();

    /** The context length the model was trained for (the GGUF's {@code <arch>.context_length}). */
    int trainedContextLength();

    /** A fresh, empty sequence able to hold up to {@code capacity} tokens. */
    Sequence newSequence(int capacity);

    /** Positions per page of the KV pools {@link #newStepExecutor} makes, for sizing a pool from a token budget. */
    default int kvPagePositions() {
        return 16;
    }

    /**
     * A step executor over a pool of {@code pageCount} KV pages of {@link #kvPagePositions} positions, for a
     * replica that serves many sequences at once.
     * Engines without a batched forward pass run the entries one by one ({@link SequentialStepExecutor}).
     *
     * @param maxStepTokens the most tokens one step will carry, for sizing the activation buffers
     * @param maxPositions  the most positions one sequence may hold: the served context length, at most the trained
     *                      context and the pool. It picks LongRoPE's factors, as llama.cpp's per-sequence context
     *                      does, so a pool larger than the context (for many streams) does not switch a 128k model
     *                      to its long factors.
     */
    default StepExecutor newStepExecutor(int pageCount, int maxStepTokens, int maxPositions) {
        return new SequentialStepExecutor(this, kvPagePositions(), pageCount, maxPositions);
    }

    /**
     * Refuses a {@link #newStepExecutor} {@code maxPositions} below 1 or above what a sequence can hold: the trained
     * context and the pool's positions.
     */
    static void checkMaxPositions(int trainedContext, long poolPositions, int maxPositions) {
        if (maxPositions < 1 || maxPositions > Math.min(trainedContext, poolPositions)) {
            throw new IllegalArgumentException("a sequence may hold at most the trained context (" + trainedContext
                    + ") and the pool (" + poolPositions + " positions), not " + maxPositions);
        }
    }

    /**
     * Prepares the engine's kernels for the first forward pass, where they need it (the CPU engine's are
     * JIT-compiled); called once at start-up, before the warm-up token. Engines whose kernels are ready as
     * loaded do nothing.
     */
    default void warmUpKernels() {
    }

    @Override
    void close();
}
