package dev.ggufserve.serving;

import dev.ggufserve.engine.StepEntry;
import dev.ggufserve.engine.StepExecutor;
import dev.ggufserve.sampling.Sampler;
import dev.ggufserve.sampling.SamplingParams;
import dev.ggufserve.tokenizer.Tokenizer;

import java.util.List;

/**
 * Runs a replica's step executor before the server reports ready: this proves that the model runs, and it is the
 * first pass over the whole model, so the first client does not pay for it (class loading, the rest of the forward
 * pass being compiled, the weights' pages being touched).
 *
 * <p>Two steps: one batched step of two short sequences (two prompt tokens and one), so the batched path is
 * compiled, then one decode step of a sequence alone, the path a single stream takes. Both are tiny (a few tokens),
 * so they cost about three decode steps; {@link dev.ggufserve.engine.Engine#warmUpKernels} has already had the
 * matrix kernels compiled.
 */
final class WarmUp {

    private static final String TEXT = "Once upon a time";
    /** Sequence ids of the warm-up; released before any request is served. */
    private static final long FIRST_SEQUENCE = 0;
    private static final long SECOND_SEQUENCE = 1;

    private WarmUp() {
    }

    /** Leaves {@code executor} holding nothing; uses its first two pages. */
    static void run(StepExecutor executor, Tokenizer tokenizer, int vocabularySize) {
        int[] text = tokenizer.encode(TEXT, tokenizer.addsBos(), false);
        int first = text[0];
        int second = text.length > 1 ? text[1] : text[0];
        float[] firstLogits = new float[vocabularySize];
        float[] secondLogits = new float[vocabularySize];
        executor.step(List.of(
                new StepEntry(FIRST_SEQUENCE, new int[] {0}, 0, new int[] {first, second}, firstLogits, null),
                new StepEntry(SECOND_SEQUENCE, new int[] {1}, 0, new int[] {first}, secondLogits, null)));
        int next = new Sampler(SamplingParams.greedy()).sample(firstLogits, new int[1], 0);
        executor.step(List.of(new StepEntry(FIRST_SEQUENCE, new int[] {0}, 2, new int[] {next}, firstLogits, null)));
        executor.release(FIRST_SEQUENCE);
        executor.release(SECOND_SEQUENCE);
    }
}
