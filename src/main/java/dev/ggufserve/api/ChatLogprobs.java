package dev.ggufserve.api;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.quarkus.runtime.annotations.RegisterForReflection;

import java.util.List;

/** {@code choices[].logprobs} of a chat completion: one entry per generated token. */
@RegisterForReflection
public record ChatLogprobs(List<TokenEntry> content) {

    /** @param bytes the token's UTF-8 bytes as unsigned values, since a token may end mid-character */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record TokenEntry(String token, float logprob, List<Integer> bytes, List<TopEntry> topLogprobs) {
    }

    public record TopEntry(String token, float logprob, List<Integer> bytes) {
    }
}
