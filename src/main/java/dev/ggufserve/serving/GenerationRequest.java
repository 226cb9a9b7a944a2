package dev.ggufserve.serving;

import dev.ggufserve.sampling.SamplingParams;
import dev.ggufserve.sampling.TokenConstraint;

import java.util.List;

/**
 * One validated generation, ready for a replica.
 *
 * @param promptTokens   the prompt as token ids (BOS included where the model wants one); never empty
 * @param maxTokens      tokens to generate at most; 0 only scores the prompt
 * @param sampling       how each token is picked
 * @param stops          strings that end the generation and are never emitted
 * @param tokenLogprobs  report the log-probability of each generated token
 * @param promptLogprobs report the log-probability of each prompt token after the first
 * @param topLogprobs    how many alternatives each reported log-probability lists
 * @param constraint     which tokens may come next (structured outputs), or null for any; stateful, so it
 *                       serves this one generation only
 */
public record GenerationRequest(
        int[] promptTokens,
        int maxTokens,
        SamplingParams sampling,
        List<String> stops,
        boolean tokenLogprobs,
        boolean promptLogprobs,
        int topLogprobs,
        TokenConstraint constraint) {

    /** A generation free to pick any token. */
    public GenerationRequest(int[] promptTokens, int maxTokens, SamplingParams sampling, List<String> stops,
                             boolean tokenLogprobs, boolean promptLogprobs, int topLogprobs) {
        this(promptTokens, maxTokens, sampling, stops, tokenLogprobs, promptLogprobs, topLogprobs, null);
    }

    public GenerationRequest {
        if (promptTokens.length == 0) {
            throw new IllegalArgumentException("the prompt must hold at least one token");
        }
        stops = List.copyOf(stops);
    }
}
