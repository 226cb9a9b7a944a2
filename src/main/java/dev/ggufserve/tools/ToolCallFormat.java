package dev.ggufserve.tools;

/**
 * How a model family writes tool calls in its reply: an optional list opener, then per call a prefix, the
 * function name, a middle part, the arguments object and a suffix, calls separated by {@code separator}, and an
 * optional list closer. Generation is constrained to exactly this layout, which is also how the family's chat
 * template renders earlier calls, so parsing never guesses.
 *
 * @param family                 a short name for logs and docs
 * @param parallel               whether the format (and template) allows several calls in one reply
 * @param templateRendersTools   whether the chat template takes {@code tools}; otherwise {@link ToolPrompt}
 *                               describes them in the system message
 * @param templateRendersCalls   whether the template renders an assistant's {@code tool_calls}; otherwise they
 *                               are written into the message text in this format
 * @param templateRendersResults whether the template renders {@code tool} messages; otherwise they become user
 *                               messages holding {@code <tool_response>} blocks
 * @param idLength               characters of a generated call id after its {@code call_} prefix (Mistral's
 *                               template accepts only 9 alphanumerics and no prefix: 0 means that form)
 */
public record ToolCallFormat(String family, String listPrefix, String callPrefix, String nameToArguments,
                             String callSuffix, String separator, String listSuffix, boolean parallel,
                             boolean templateRendersTools, boolean templateRendersCalls,
                             boolean templateRendersResults, int idLength) {

    /** Hermes, Qwen 2.5 / 3: {@code <tool_call>\n{"name": ..., "arguments": {...}}\n</tool_call>}. */
    static ToolCallFormat hermes(boolean templateRendersResults) {
        return new ToolCallFormat("hermes", "", "<tool_call>\n{\"name\": \"", "\", \"arguments\": ",
                "}\n</tool_call>", "\n", "", true, true, true, templateRendersResults, 24);
    }

    /** Llama 3.1 / 3.2 JSON tool calls: {@code {"name": ..., "parameters": {...}}}, one per reply. */
    static ToolCallFormat llama3() {
        return new ToolCallFormat("llama3", "", "{\"name\": \"", "\", \"parameters\": ", "}", "", "", false, true,
                true, true, 24);
    }

    /** Mistral: {@code [TOOL_CALLS][{"name": ..., "arguments": {...}}, ...]}. */
    static ToolCallFormat mistral() {
        return new ToolCallFormat("mistral", "[TOOL_CALLS][", "{\"name\": \"", "\", \"arguments\": ", "}", ", ",
                "]", true, true, true, true, 0);
    }

    /** IBM Granite 3: {@code <|tool_call|>[{"name": ..., "arguments": {...}}, ...]}. */
    static ToolCallFormat granite() {
        return new ToolCallFormat("granite", "<|tool_call|>[", "{\"name\": \"", "\", \"arguments\": ", "}", ", ",
                "]", true, true, false, false, 24);
    }

    /** Templates without tool support: Hermes' layout, tools described by {@link ToolPrompt}. */
    static ToolCallFormat generic(boolean templateRendersResults) {
        return new ToolCallFormat("generic", "", "<tool_call>\n{\"name\": \"", "\", \"arguments\": ",
                "}\n</tool_call>", "\n", "", true, false, false, templateRendersResults, 24);
    }

    /** The format a chat template's own text implies (see docs/API.md for the families). */
    public static ToolCallFormat of(String templateSource) {
        boolean rendersResults = templateSource.contains("\"tool\"") || templateSource.contains("'tool'");
        boolean rendersTools = templateSource.contains("tools");
        if (rendersTools && templateSource.contains("<tool_call>")) {
            return hermes(rendersResults);
        }
        if (templateSource.contains("[TOOL_CALLS]")) {
            return mistral();
        }
        if (templateSource.contains("<|tool_call|>")) {
            return granite();
        }
        if (rendersTools && templateSource.contains("\"parameters\": ") && templateSource.contains("tool_calls")) {
            return llama3();
        }
        return generic(rendersResults);
    }

    /** The text every reply that calls tools begins with. */
    public String trigger() {
        return listPrefix + callPrefix;
    }

    /** The text of one call, as the assistant wrote it. */
    public String callText(String name, String argumentsJson) {
        return callPrefix + name + nameToArguments + argumentsJson + callSuffix;
    }
}
