package dev.ggufserve.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ggufserve.grammar.GrammarNode;
import dev.ggufserve.tools.ToolGrammar;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The tools a chat request offers ({@code tools}, {@code tool_choice}, {@code parallel_tool_calls}), checked as
 * OpenAI checks them, with each function's {@code parameters} compiled to the grammar of its arguments.
 *
 * @param templateTools the definitions as the chat template's {@code tools} variable takes them
 * @param toolJson      each definition as JSON text, for the generic tool prompt
 * @param functions     what calls may be made: all tools, or the one named by tool_choice
 * @param choice        how the reply may use them
 */
record ChatTools(List<Map<String, Object>> templateTools, List<String> toolJson,
                 List<ToolGrammar.Function> functions, Choice choice, boolean parallel) {

    enum Choice {
        /** No tools, or tool_choice none (the model still sees the tools, as with OpenAI): a plain reply. */
        NONE,
        /** The model chooses between a reply and calls. */
        AUTO,
        /** The reply is one or more calls. */
        REQUIRED
    }

    private static final Pattern FUNCTION_NAME = Pattern.compile("[a-zA-Z0-9_-]{1,64}");
    /** OpenAI's limit on tools per request. */
    static final int MAX_TOOLS = 128;

    static final ChatTools NONE = new ChatTools(List.of(), List.of(), List.of(), Choice.NONE, false);

    /** Whether the reply may hold tool calls. */
    boolean offered() {
        return choice != Choice.NONE;
    }

    /** Whether the prompt describes tools (also with tool_choice none). */
    boolean described() {
        return !templateTools.isEmpty();
    }

    static ChatTools of(ChatCompletionRequest request, ObjectMapper json) {
        JsonNode tools = request.tools();
        JsonNode toolChoice = request.toolChoice();
        if (tools == null || tools.isNull() || tools.isArray() && tools.isEmpty()) {
            if (toolChoice != null && !toolChoice.isNull() && !"none".equals(toolChoice.asText())) {
                throw new InvalidRequestException("tool_choice",
                        "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.");
            }
            return NONE;
        }
        if (!tools.isArray()) {
            throw new InvalidRequestException("tools", "Invalid 'tools': expected an array of tool definitions.");
        }
        if (tools.size() > MAX_TOOLS) {
            throw new InvalidRequestException("tools", "Invalid 'tools': expected at most " + MAX_TOOLS
                    + " tools, but got " + tools.size() + ".");
        }
        List<Map<String, Object>> templateTools = new ArrayList<>();
        List<String> toolJson = new ArrayList<>();
        List<ToolGrammar.Function> functions = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < tools.size(); i++) {
            JsonNode tool = tools.get(i);
            String param = "tools[" + i + "]";
            if (!"function".equals(tool.path("type").asText(null))) {
                throw new InvalidRequestException(param + ".type", "Invalid value for '" + param
                        + ".type': only 'function' tools are supported.");
            }
            JsonNode function = tool.path("function");
            String name = function.path("name").asText("");
            if (!function.path("name").isTextual() || !FUNCTION_NAME.matcher(name).matches()) {
                throw new InvalidRequestException(param + ".function.name", "Invalid '" + param + ".function.name':"
                        + " expected a string of 1 to 64 letters, digits, underscores or dashes.");
            }
            if (!names.add(name)) {
                throw new InvalidRequestException(param + ".function.name", "Invalid '" + param + ".function.name':"
                        + " the function name '" + name + "' is used by more than one tool.");
            }
            JsonNode parameters = function.get("parameters");
            String parametersParam = param + ".function.parameters";
            if (parameters != null && !parameters.isObject()) {
                throw new InvalidRequestException(parametersParam, "Invalid '" + parametersParam
                        + "': expected a JSON Schema object.");
            }
            // A function without parameters takes an empty object.
            GrammarNode arguments = StructuredOutputs.compile(parameters != null ? parameters
                    : json.createObjectNode().put("type", "object").put("additionalProperties", false),
                    parametersParam);
            functions.add(new ToolGrammar.Function(name, arguments));
            @SuppressWarnings("unchecked")
            Map<String, Object> asMap = json.convertValue(tool, Map.class);
            templateTools.add(asMap);
            toolJson.add(tool.toString());
        }
        boolean parallel = request.parallelToolCalls() == null || request.parallelToolCalls();
        if (toolChoice == null || toolChoice.isNull() || "auto".equals(toolChoice.asText(null))) {
            return new ChatTools(templateTools, toolJson, functions, Choice.AUTO, parallel);
        }
        if (toolChoice.isTextual()) {
            return switch (toolChoice.textValue()) {
                case "none" -> new ChatTools(templateTools, toolJson, functions, Choice.NONE, parallel);
                case "required" -> new ChatTools(templateTools, toolJson, functions, Choice.REQUIRED, parallel);
                default -> throw new InvalidRequestException("tool_choice", "Invalid value for 'tool_choice': "
                        + "expected 'none', 'auto', 'required' or a named function, but got '"
                        + toolChoice.textValue() + "'.");
            };
        }
        String named = toolChoice.path("function").path("name").asText("");
        if (!"function".equals(toolChoice.path("type").asText(null)) || named.isEmpty()) {
            throw new InvalidRequestException("tool_choice", "Invalid value for 'tool_choice': expected 'none', "
                    + "'auto', 'required' or {\"type\": \"function\", \"function\": {\"name\": ...}}.");
        }
        List<ToolGrammar.Function> chosen = functions.stream().filter(f -> f.name().equals(named)).toList();
        if (chosen.isEmpty()) {
            throw new InvalidRequestException("tool_choice", "Invalid value for 'tool_choice': no function named '"
                    + named + "' is among the tools.");
        }
        // A named function is called once, as OpenAI does.
        return new ChatTools(templateTools, toolJson, chosen, Choice.REQUIRED, false);
    }
}
