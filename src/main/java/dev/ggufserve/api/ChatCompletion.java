package dev.ggufserve.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.quarkus.runtime.annotations.RegisterForReflection;

import java.util.List;

/** The reply of a non-streaming chat completion ({@code "object": "chat.completion"}). */
@RegisterForReflection
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ChatCompletion(String id, String object, long created, String model, List<Choice> choices,
                             Usage usage) {

    public ChatCompletion(String id, long created, String model, Choice choice, Usage usage) {
        this(id, "chat.completion", created, model, List.of(choice), usage);
    }

    /** @param logprobs null unless {@code logprobs: true} was asked for */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Choice(int index, Message message, ChatLogprobs logprobs, String finishReason) {
    }

    /**
     * @param content   null when the reply is only tool calls
     * @param toolCalls left out when there are none
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Message(String role, String content,
                          @JsonInclude(JsonInclude.Include.NON_EMPTY) List<ChatToolCall> toolCalls) {

        public Message(String role, String content) {
            this(role, content, List.of());
        }
    }
}
