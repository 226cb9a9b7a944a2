package dev.ggufserve.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.quarkus.runtime.annotations.RegisterForReflection;

import java.util.Map;

/**
 * The body of POST /v1/completions (OpenAI's legacy text completions). Unknown fields are ignored.
 * {@code response_format} is an extension here (as in vLLM and llama.cpp's server), with chat's meaning.
 */
@RegisterForReflection
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record CompletionRequest(
        String model,
        JsonNode prompt,
        Integer maxTokens,
        Double temperature,
        Double topP,
        Integer topK,
        Double minP,
        Double presencePenalty,
        Double frequencyPenalty,
        Map<String, Double> logitBias,
        Long seed,
        JsonNode stop,
        Integer n,
        Boolean stream,
        StreamOptions streamOptions,
        Boolean echo,
        Integer logprobs,
        JsonNode responseFormat) implements GenerationParameters {
}
