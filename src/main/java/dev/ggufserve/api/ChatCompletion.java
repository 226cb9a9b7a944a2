package dev.ggufserve.api;

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

    public record Message(String role, String content) {
    }
}
