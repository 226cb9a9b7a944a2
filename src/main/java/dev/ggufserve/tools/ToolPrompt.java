package dev.ggufserve.tools;

import java.util.List;

/**
 * The system-message text that offers tools to a model whose chat template has no tool support. It lists the
 * tool definitions as JSON and asks for Hermes-style {@code <tool_call>} blocks, the most widely trained
 * format; generation is constrained to that format when a call is made.
 */
public final class ToolPrompt {

    private ToolPrompt() {
    }

    /** @param toolJson each tool definition ({@code {"type": "function", "function": {...}}}) as JSON text */
    public static String describe(List<String> toolJson) {
        return "You may call one or more functions to assist with the user query. The function signatures are"
                + " within <tools></tools> XML tags:\n<tools>\n" + String.join("\n", toolJson) + "\n</tools>\n\n"
                + "To call functions, reply with one JSON object per call, each within <tool_call></tool_call> XML"
                + " tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call>";
    }

    /** A tool result as a user message holds it, for templates without a {@code tool} role. */
    public static String toolResult(String content) {
        return "<tool_response>\n" + content + "\n</tool_response>";
    }
}
