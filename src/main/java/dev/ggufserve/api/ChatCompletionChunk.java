package dev.ggufserve.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.quarkus.runtime.annotations.RegisterForReflection;

import java.util.List;
import java.util.Optional;

/**
 * One event of a streaming chat completion ({@code "object": "chat.completion.chunk"}).
 *
 * @param usage null leaves the field out (include_usage not asked for); {@code Optional.empty()} writes
 *              {@code "usage": null}, as OpenAI does on every chunk but the last when include_usage is on
 */
@RegisterForReflection
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ChatCompletionChunk(String id, String object, long created, String model, List<Choice> choices,
                                  @JsonInclude(JsonInclude.Include.NON_NULL) Optional<Usage> usage) {

    public ChatCompletionChunk(String id, long created, String model, List<Choice> choices, Optional<Usage> usage) {
        this(id, "chat.completion.chunk", created, model, choices, usage);
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Choice(int index, Delta delta, ChatLogprobs logprobs, String finishReason) {
    }

    /** What this chunk adds; the first carries the role, the last is empty. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Delta(String role, String content, List<ChatToolCall.Delta> toolCalls) {

        public Delta(String role, String content) {
            this(role, content, null);
        }
    }
}
