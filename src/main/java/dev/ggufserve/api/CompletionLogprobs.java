package dev.ggufserve.api;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.quarkus.runtime.annotations.RegisterForReflection;

import java.util.List;
import java.util.Map;

/**
 * {@code choices[].logprobs} of a text completion, four parallel lists with one entry per token. The
 * first prompt token (when echoed) has a null log-probability and null alternatives: nothing precedes it.
 *
 * @param textOffset where each token starts in the choice's text, in UTF-16 chars
 */
@RegisterForReflection
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record CompletionLogprobs(List<String> tokens, List<Float> tokenLogprobs,
                                 List<Map<String, Float>> topLogprobs, List<Integer> textOffset) {
}
