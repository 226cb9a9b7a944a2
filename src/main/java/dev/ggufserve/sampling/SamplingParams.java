package dev.ggufserve.sampling;

import java.util.Map;

/**
 * How one request picks its next tokens. Ranges are validated by the API layer; this record only
 * holds the values.
 *
 * @param temperature      0 means greedy (argmax); otherwise logits are divided by it before the draw
 * @param topP             nucleus mass to keep; 1.0 turns top-p off
 * @param topK             number of most likely tokens to keep; 0 or less turns top-k off
 * @param minP             drops tokens whose probability is below {@code minP} times the highest one;
 *                         0.0 turns min-p off
 * @param presencePenalty  subtracted once from the logit of every token generated so far
 * @param frequencyPenalty subtracted from a token's logit once per time it was generated so far
 * @param logitBias        token id to a value added to its logit (OpenAI semantics: -100 bans the
 *                         token, +100 all but forces it); never null
 * @param seed             seed of the request's random generator; null means seeded randomly
 */
public record SamplingParams(
        double temperature,
        double topP,
        int topK,
        double minP,
        double presencePenalty,
        double frequencyPenalty,
        Map<Integer, Double> logitBias,
        Long seed) {

    public SamplingParams {
        logitBias = logitBias == null ? Map.of() : Map.copyOf(logitBias);
    }

    /** Always picks the most likely token, with no penalties or bias. */
    public static SamplingParams greedy() {
        return new SamplingParams(0.0, 1.0, 0, 0.0, 0.0, 0.0, Map.of(), null);
    }
}
