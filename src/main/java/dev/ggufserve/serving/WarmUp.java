package dev.ggufserve.serving;

import dev.ggufserve.engine.StepEntry;
import dev.ggufserve.engine.StepExecutor;
import dev.ggufserve.tokenizer.Tokenizer;

import java.util.List;

/**
 * Runs a replica's step executor before the server reports ready: this proves that the model runs, and it is the
 * first pass over the whole model, so the first client does not pay for it (class loading, the rest of the forward
 * pass being compiled, the weights' pages being touched).
 *
 * <p>One decode step of one token, the path a single stream takes. It is not a batched step, although batching is
 * the default: {@link dev.ggufserve.engine.Engine#warmUpKernels} has already had the matrix kernels of every tile
 * size compiled, and what a batched step adds around them is bookkeeping that compiles within the first steps that
 * use it. Measured on the full-size file (docs/PERFORMANCE.md, "Start-up"): a warm-up step of three rows (a small
 * tile) cost 1-1.5 s more before ready and saved the first short request only about 0.4 s; a step of two sequences
 * cost 0.6-0.8 s more and saved nothing.
 */
final class WarmUp {

    private static final String TEXT = "Once upon a time";
    /** Sequence id of the warm-up; released before any request is served. */
    private static final long SEQUENCE = 0;

    private WarmUp() {
    }

    /** Leaves {@code executor} holding nothing; uses its first page. */
    static void run(StepExecutor executor, Tokenizer tokenizer, int vocabularySize) {
        int[] text = tokenizer.encode(TEXT, tokenizer.addsBos(), false);
        int first = text[0];
        executor.step(List.of(
                new StepEntry(SEQUENCE, new int[] {0}, 0, new int[] {first}, new float[vocabularySize], null)));
        executor.release(SEQUENCE);
    }
}
