package dev.ggufserve.chat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One message of a conversation: its role ("system", "user", "assistant", "tool", ...) and its text.
 *
 * @param content    the text; null only on an assistant message that carries tool calls
 * @param toolCalls  an assistant's tool calls as chat templates read them ({@code id}, {@code type},
 *                   {@code function} with {@code name} and {@code arguments} as a map); empty for none
 * @param toolCallId on a tool message, the id of the call it answers; else null
 */
public record ChatMessage(String role, String content, List<Map<String, Object>> toolCalls, String toolCallId) {

    public ChatMessage {
        Objects.requireNonNull(role, "role");
        toolCalls = List.copyOf(toolCalls);
        if (content == null && toolCalls.isEmpty()) {
            throw new NullPointerException("content");
        }
    }

    public ChatMessage(String role, String content) {
        this(role, content, List.of(), null);
    }

    /**
     * The message as templates see it. Keys without a value are left out: Llama 3's template tests
     * {@code 'tool_calls' in message}. A tool-calling assistant's null content is given as an empty string, as
     * llama.cpp's server does for templates that need it: Qwen3's, Granite 3.3's and Phi-3.5's templates fail on
     * None in Python's jinja2 too ({@code '</think>' in content}, string concatenation), and every fixture template
     * that accepts None renders "" exactly as it renders None (src/test/chat-templates/make-expected.py).
     */
    Map<String, Object> templateVariables() {
        Map<String, Object> variables = new HashMap<>();
        variables.put("role", role);
        variables.put("content", content == null ? "" : content);
        if (!toolCalls.isEmpty()) {
            variables.put("tool_calls", toolCalls);
        }
        if (toolCallId != null) {
            variables.put("tool_call_id", toolCallId);
        }
        return variables;
    }
}
