package dev.ggufserve.api;

import io.quarkus.runtime.annotations.RegisterForReflection;

/** OpenAI's error body: {@code {"error": {"message", "type", "param", "code"}}}. */
@RegisterForReflection
public record OpenAiError(Detail error) {

    public record Detail(String message, String type, String param, String code) {
    }

    public OpenAiError(String message, String type, String param, String code) {
        this(new Detail(message, type, param, code));
    }
}
