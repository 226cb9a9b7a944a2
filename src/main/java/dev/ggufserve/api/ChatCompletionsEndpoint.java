package dev.ggufserve.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ggufserve.chat.ChatMessage;
import dev.ggufserve.config.LlmConfig;
import dev.ggufserve.grammar.GrammarNode;
import dev.ggufserve.sampling.TokenConstraint;
import dev.ggufserve.serving.GenerationRequest;
import dev.ggufserve.serving.ModelService;
import dev.ggufserve.serving.ServedModel;
import dev.ggufserve.tokenizer.Tokenizer;
import dev.ggufserve.tools.ToolCallFormat;
import dev.ggufserve.tools.ToolGrammar;
import dev.ggufserve.tools.ToolPrompt;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** POST /v1/chat/completions: renders the messages with the model's chat template and generates a reply. */
@ApplicationScoped
public class ChatCompletionsEndpoint {

    /** OpenAI allows at most 20 alternatives per chat token. */
    static final int MAX_TOP_LOGPROBS = 20;
    /** OpenAI's "developer" role replaced "system" for newer models; templates only know "system". */
    private static final Map<String, String> TEMPLATE_ROLES = Map.of(
            "system", "system", "developer", "system", "user", "user", "assistant", "assistant", "tool", "tool");

    private final ModelService modelService;
    private final ApiJson json;
    private final Duration sseKeepAlive;
    private final StructuredOutputs structuredOutputs;

    public ChatCompletionsEndpoint(ModelService modelService, ApiJson json, LlmConfig config,
                                   StructuredOutputs structuredOutputs) {
        this.modelService = modelService;
        this.json = json;
        this.structuredOutputs = structuredOutputs;
        this.sseKeepAlive = config.sseKeepAlive();
    }

    /** Runs on a worker thread: parsing, template rendering and tokenization may take milliseconds. */
    void handle(RoutingContext context) throws IOException {
        ChatCompletionRequest request = json.read(context.body().buffer(), ChatCompletionRequest.class);
        ServedModel served = modelService.model();
        GenerationParameterValidation.checkModel(request, served);
        GenerationParameterValidation.checkSingleChoice(request);
        boolean stream = GenerationParameterValidation.streams(request);
        boolean includeUsage = GenerationParameterValidation.includesUsage(request);
        int topLogprobs = topLogprobs(request);
        boolean logprobs = Boolean.TRUE.equals(request.logprobs());
        GrammarNode replyGrammar = StructuredOutputs.responseFormat(request.responseFormat());
        ChatTools tools = ChatTools.of(request, json.mapper());
        ToolCallFormat toolFormat = ToolCallFormat.of(served.chatTemplate().source());

        int[] prompt = promptTokens(request.messages(), tools, toolFormat, served);
        var generation = new GenerationRequest(prompt,
                GenerationParameterValidation.maxTokens(request, null, 1, prompt.length, served, "messages"),
                GenerationParameterValidation.sampling(request, served),
                GenerationParameterValidation.stops(request),
                logprobs, false, topLogprobs,
                constraint(replyGrammar, tools, toolFormat, served));
        // Replies that may hold tool calls are parsed in the family's format; plain replies are not.
        ToolCallFormat parsedFormat = tools.offered() ? toolFormat : null;
        boolean mayBeText = tools.choice() == ChatTools.Choice.AUTO;

        String id = "chatcmpl-" + UUID.randomUUID().toString().replace("-", "");
        long created = Instant.now().getEpochSecond();
        TokenLogprobsFormat logprobsFormat = logprobs ? new TokenLogprobsFormat(served.tokenizer()) : null;
        if (!stream) {
            var sink = new ChatReplySink(context, json, id, created, served.id(), logprobsFormat, parsedFormat,
                    mayBeText);
            RequestLifecycle.of(context).cancelWhenClientLeaves(modelService.submit(generation, sink));
            return;
        }
        var events = new SseStream(context, json);
        var sink = new ChatStreamSink(events, id, created, served.id(), includeUsage, logprobsFormat, parsedFormat,
                mayBeText);
        RequestLifecycle.of(context).cancelWhenClientLeaves(modelService.submit(generation, sink));
        // Only once the request is queued: a refusal (429, 503) must still be a plain JSON error.
        events.open(sseKeepAlive);
    }

    /**
     * What constrains the reply: tool calls (forced, or beside a reply for tool_choice auto), else the
     * response_format grammar, else nothing.
     */
    private TokenConstraint constraint(GrammarNode replyGrammar, ChatTools tools, ToolCallFormat format,
                                       ServedModel served) {
        GrammarNode grammar = switch (tools.choice()) {
            case NONE -> replyGrammar;
            case REQUIRED -> ToolGrammar.calls(format, tools.functions(), tools.parallel());
            case AUTO -> ToolGrammar.callsOr(format, tools.functions(), tools.parallel(), replyGrammar);
        };
        return grammar == null ? null : structuredOutputs.constraint(grammar, served.tokenizer());
    }

    private static int topLogprobs(ChatCompletionRequest request) {
        Integer top = request.topLogprobs();
        if (top == null) {
            return 0;
        }
        if (!Boolean.TRUE.equals(request.logprobs())) {
            throw new InvalidRequestException("top_logprobs",
                    "Invalid 'top_logprobs': 'logprobs' must be set to true when 'top_logprobs' is used.");
        }
        if (top < 0 || top > MAX_TOP_LOGPROBS) {
            throw new InvalidRequestException("top_logprobs", "Invalid 'top_logprobs': expected a value between 0 and "
                    + MAX_TOP_LOGPROBS + ", but got " + top + ".");
        }
        return top;
    }

    private int[] promptTokens(List<ChatCompletionRequest.Message> messages, ChatTools tools,
                               ToolCallFormat toolFormat, ServedModel served) {
        if (messages == null || messages.isEmpty()) {
            throw new InvalidRequestException("messages", "Invalid 'messages': expected a non-empty array of messages.");
        }
        List<ChatMessage> chat = new ArrayList<>(messages.size() + 1);
        boolean previousWasResultAsUser = false;
        for (int i = 0; i < messages.size(); i++) {
            ChatMessage converted = toChatMessage(messages.get(i), "messages.[" + i + "]", toolFormat);
            boolean resultAsUser = "tool".equals(messages.get(i).role()) && !toolFormat.templateRendersResults();
            if (resultAsUser && previousWasResultAsUser) {
                // The results of parallel calls become one user turn, as Qwen2.5's template writes them: templates
                // that insist on alternating roles (Gemma 2, Llama 2) refuse two user messages in a row.
                chat.set(chat.size() - 1, new ChatMessage("user", chat.getLast().content() + "\n"
                        + converted.content()));
            } else {
                chat.add(converted);
            }
            previousWasResultAsUser = resultAsUser;
        }
        List<Map<String, Object>> templateTools = null;
        if (tools.described() && toolFormat.templateRendersTools()) {
            templateTools = tools.templateTools();
        } else if (tools.described()) {
            addToSystemMessage(chat, ToolPrompt.describe(tools.toolJson()));
        }
        String rendered = served.chatTemplate().render(chat, templateTools, true);
        Tokenizer tokenizer = served.tokenizer();
        // Many templates write the BOS text themselves; adding the BOS id as well would double it.
        boolean addBos = tokenizer.addsBos()
                && !(!tokenizer.bosText().isEmpty() && rendered.startsWith(tokenizer.bosText()));
        // Special tokens written by the template (<|user|>, ...) must become their ids.
        return tokenizer.encode(rendered, addBos, true);
    }

    /** Appends {@code text} to the first system message, or puts a system message first. */
    private static void addToSystemMessage(List<ChatMessage> chat, String text) {
        if (!chat.isEmpty() && chat.getFirst().role().equals("system")) {
            chat.set(0, new ChatMessage("system", chat.getFirst().content() + "\n\n" + text));
        } else {
            chat.addFirst(new ChatMessage("system", text));
        }
    }

    private ChatMessage toChatMessage(ChatCompletionRequest.Message message, String param, ToolCallFormat format) {
        if (message == null) {
            throw new InvalidRequestException(param, "Invalid '" + param + "': expected a message object.");
        }
        String role = message.role() == null ? null : TEMPLATE_ROLES.get(message.role());
        if (role == null) {
            throw new InvalidRequestException(param + ".role", "Invalid '" + param + ".role': expected one of system, "
                    + "developer, user, assistant or tool, but got " + message.role() + ".");
        }
        if (role.equals("tool")) {
            if (message.toolCallId() == null) {
                throw new InvalidRequestException(param + ".tool_call_id", "Missing required parameter: '" + param
                        + ".tool_call_id'.");
            }
            String result = textContent(message.content(), param + ".content");
            return format.templateRendersResults()
                    ? new ChatMessage("tool", result, List.of(), message.toolCallId())
                    : new ChatMessage("user", ToolPrompt.toolResult(result));
        }
        JsonNode toolCalls = message.toolCalls();
        if (!role.equals("assistant") || toolCalls == null || toolCalls.isNull()
                || toolCalls.isArray() && toolCalls.isEmpty()) {
            return new ChatMessage(role, textContent(message.content(), param + ".content"));
        }
        List<Map<String, Object>> calls = toolCalls(toolCalls, param + ".tool_calls");
        String content = message.content() == null || message.content().isNull()
                ? null : textContent(message.content(), param + ".content");
        if (format.templateRendersCalls()) {
            return new ChatMessage("assistant", content, calls, null);
        }
        // The template knows no tool calls: the assistant's text shows them as the model would write them.
        List<String> callTexts = new ArrayList<>();
        for (Map<String, Object> call : calls) {
            @SuppressWarnings("unchecked")
            Map<String, Object> function = (Map<String, Object>) call.get("function");
            callTexts.add(format.callText((String) function.get("name"), json.write(function.get("arguments"))));
        }
        String callText = format.listPrefix() + String.join(format.separator(), callTexts) + format.listSuffix();
        return new ChatMessage("assistant", content == null || content.isEmpty() ? callText
                : content + "\n" + callText);
    }

    /** An assistant's earlier calls, with the arguments parsed into maps as templates expect them. */
    private List<Map<String, Object>> toolCalls(JsonNode toolCalls, String param) {
        if (!toolCalls.isArray()) {
            throw new InvalidRequestException(param, "Invalid '" + param + "': expected an array of tool calls.");
        }
        List<Map<String, Object>> calls = new ArrayList<>();
        for (int i = 0; i < toolCalls.size(); i++) {
            JsonNode call = toolCalls.get(i);
            String callParam = param + ".[" + i + "]";
            JsonNode function = call.path("function");
            if (!call.path("id").isTextual() || !function.path("name").isTextual()
                    || !function.path("arguments").isTextual()) {
                throw new InvalidRequestException(callParam, "Invalid '" + callParam + "': expected an object with "
                        + "'id', 'type': 'function' and 'function' with a 'name' and 'arguments' as a JSON string.");
            }
            Object arguments;
            try {
                arguments = json.mapper().readValue(function.get("arguments").textValue(), Object.class);
            } catch (IOException e) {
                throw new InvalidRequestException(callParam + ".function.arguments", "Invalid '" + callParam
                        + ".function.arguments': expected a JSON object as a string.");
            }
            // In OpenAI's key order: templates serialise these maps (Mistral's writes the function with tojson).
            Map<String, Object> named = new LinkedHashMap<>();
            named.put("name", function.get("name").textValue());
            named.put("arguments", arguments);
            Map<String, Object> toolCall = new LinkedHashMap<>();
            toolCall.put("id", call.get("id").textValue());
            toolCall.put("type", "function");
            toolCall.put("function", named);
            calls.add(toolCall);
        }
        return calls;
    }

    /** Content is a string or an array of text parts, joined with newlines; other part types are refused. */
    private static String textContent(JsonNode content, String param) {
        if (content == null || content.isNull()) {
            throw new InvalidRequestException(param, "Invalid '" + param + "': expected a string or an array of "
                    + "text parts, but got null.");
        }
        if (content.isTextual()) {
            return content.textValue();
        }
        if (!content.isArray()) {
            throw new InvalidRequestException(param, "Invalid '" + param + "': expected a string or an array of "
                    + "text parts.");
        }
        List<String> texts = new ArrayList<>();
        for (JsonNode part : content) {
            if (!"text".equals(part.path("type").asText(null)) || !part.path("text").isTextual()) {
                throw new InvalidRequestException(param, "Invalid '" + param + "': only parts of type 'text' with a "
                        + "string 'text' are supported.");
            }
            texts.add(part.get("text").textValue());
        }
        return String.join("\n", texts);
    }
}
