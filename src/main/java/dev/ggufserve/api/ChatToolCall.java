package dev.ggufserve.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.quarkus.runtime.annotations.RegisterForReflection;

import java.security.SecureRandom;
import java.util.random.RandomGenerator;

/**
 * A tool call in a reply ({@code message.tool_calls[i]}).
 *
 * @param function the function's name and its arguments as a JSON string
 */
@RegisterForReflection
public record ChatToolCall(String id, String type, Function function) {

    private static final String ID_CHARACTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private static final RandomGenerator RANDOM = new SecureRandom();

    public ChatToolCall(String id, String name, String arguments) {
        this(id, "function", new Function(name, arguments));
    }

    @RegisterForReflection
    public record Function(String name, String arguments) {
    }

    /**
     * A streamed piece of a tool call ({@code delta.tool_calls[i]}): the first carries id, type and name with
     * empty arguments, the rest only argument fragments.
     */
    @RegisterForReflection
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Delta(int index, String id, String type, FunctionDelta function) {
    }

    @RegisterForReflection
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record FunctionDelta(String name, String arguments) {
    }

    /**
     * A new call id: {@code call_} and {@code length} random alphanumerics, or just 9 alphanumerics when
     * {@code length} is 0 (the only form Mistral's template accepts).
     */
    static String newId(int length) {
        var id = new StringBuilder(length == 0 ? "" : "call_");
        for (int i = 0; i < (length == 0 ? 9 : length); i++) {
            id.append(ID_CHARACTERS.charAt(RANDOM.nextInt(ID_CHARACTERS.length())));
        }
        return id.toString();
    }
}
