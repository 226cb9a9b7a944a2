package dev.ggufserve.serving;

import dev.ggufserve.sampling.Sampler;
import dev.ggufserve.sampling.SamplingParams;
import dev.ggufserve.tokenizer.Tokenizer;

/**
 * Generates one token on a replica before the server reports ready: this proves that the model runs, and it is
 * the first pass over the whole model, so the first client does not pay for it (class loading, the rest of the
 * forward pass being compiled, the weights' pages being touched).
 *
 * <p>The prompt is a single token, so the pass is one decode step (about 0.16 s for Phi-3 mini on 2 cores).
 * A longer prompt would also run the prefill path, but that costs a prefill over the whole model (about 0.8 s
 * for 8 tokens) and adds little: {@link dev.ggufserve.engine.Engine#warmUpKernels} has already had its
 * kernels compiled.
 */
final class WarmUp {

    private static final String TEXT = "Once upon a time";

    private WarmUp() {
    }

    /** Leaves {@code replica} empty again. */
    static void run(Replica replica, Tokenizer tokenizer) {
        int firstToken = tokenizer.encode(TEXT, tokenizer.addsBos(), false)[0];
        float[] logits = replica.loadPrompt(new int[] {firstToken}, null);
        new Sampler(SamplingParams.greedy()).sample(logits, new int[1], 0);
        replica.reset();
    }
}
