package dev.ggufserve.serving;

import dev.ggufserve.sampling.Sampler;
import dev.ggufserve.sampling.SamplingParams;
import dev.ggufserve.tokenizer.Tokenizer;

import java.util.Arrays;

/**
 * Reads a prompt of a few tokens and generates one token on a replica, so that the first client does
 * not pay for class loading and JIT-compiling the prefill and decode paths; it also proves, before the
 * server reports ready, that the model runs.
 */
final class WarmUp {

    /** Prompt tokens read at once, so the multi-token prefill path is compiled too. */
    static final int PROMPT_TOKENS = 8;
    private static final String TEXT = "Once upon a time, in a small town by the sea, there lived";

    private WarmUp() {
    }

    /** Leaves {@code replica} empty again. */
    static void run(Replica replica, Tokenizer tokenizer) {
        int[] text = tokenizer.encode(TEXT, tokenizer.addsBos(), false);
        // The generated token needs a place in the context too.
        int promptLength = Math.min(Math.min(PROMPT_TOKENS, text.length), replica.capacity() - 1);
        float[] logits = replica.loadPrompt(Arrays.copyOf(text, promptLength), null);
        int token = new Sampler(SamplingParams.greedy()).sample(logits, new int[1], 0);
        replica.appendToken(token);
        replica.reset();
    }
}
