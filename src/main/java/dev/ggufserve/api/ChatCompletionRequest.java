package dev.ggufserve.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.quarkus.runtime.annotations.RegisterForReflection;

import java.util.List;
import java.util.Map;

/**
 * The body of POST /v1/chat/completions. Fields the server does not support (user, store, metadata, ...) are
 * ignored, as OpenAI SDKs send some of them by default.
 */
@RegisterForReflection
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ChatCompletionRequest(
        String model,
        List<Message> messages,
        Integer maxTokens,
        Integer maxCompletionTokens,
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
        Boolean logprobs,
        Integer topLogprobs,
        JsonNode responseFormat,
        JsonNode tools,
        JsonNode toolChoice,
        Boolean parallelToolCalls) implements GenerationParameters {

    /**
     * One chat message.
     *
     * @param content    a string, or an array of {@code {"type": "text", "text": ...}} parts; may be null on an
     *                   assistant message with tool calls
     * @param toolCalls  an assistant's earlier tool calls
     * @param toolCallId on a {@code tool} message, the call it answers
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Message(String role, JsonNode content, JsonNode toolCalls, String toolCallId, String name) {
    }

    /** {@code max_completion_tokens} replaced {@code max_tokens} in OpenAI's API; either is accepted. */
    @Override
    public Integer maxTokens() {
        return maxCompletionTokens != null ? maxCompletionTokens : maxTokens;
    }
}
