package dev.ggufserve.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.quarkus.runtime.annotations.RegisterForReflection;

import java.util.List;
import java.util.Optional;

/**
 * A text completion ({@code "object": "text_completion"}): the whole reply, or one streamed chunk.
 *
 * @param usage null leaves the field out (stream chunks without include_usage); {@code Optional.empty()}
 *              writes {@code "usage": null}
 */
@RegisterForReflection
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record Completion(String id, String object, long created, String model, List<Choice> choices,
                         @JsonInclude(JsonInclude.Include.NON_NULL) Optional<Usage> usage) {

    public Completion(String id, long created, String model, List<Choice> choices, Optional<Usage> usage) {
        this(id, "text_completion", created, model, choices, usage);
    }

    /** @param logprobs null unless {@code logprobs} was asked for */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Choice(String text, int index, CompletionLogprobs logprobs, String finishReason) {
    }
}
