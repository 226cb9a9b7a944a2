package dev.ggufserve.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ggufserve.chat.ChatMessage;
import dev.ggufserve.config.LlmConfig;
import dev.ggufserve.serving.GenerationRequest;
import dev.ggufserve.serving.ModelService;
import dev.ggufserve.serving.ServedModel;
import dev.ggufserve.tokenizer.Tokenizer;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
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
            "system", "system", "developer", "system", "user", "user", "assistant", "assistant");

    private final ModelService modelService;
    private final ApiJson json;
    private final Duration sseKeepAlive;

    public ChatCompletionsEndpoint(ModelService modelService, ApiJson json, LlmConfig config) {
        this.modelService = modelService;
        this.json = json;
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

        int[] prompt = promptTokens(request.messages(), served);
        var generation = new GenerationRequest(prompt,
                GenerationParameterValidation.maxTokens(request, null, 1, prompt.length, served, "messages"),
                GenerationParameterValidation.sampling(request, served),
                GenerationParameterValidation.stops(request),
                logprobs, false, topLogprobs);

        String id = "chatcmpl-" + UUID.randomUUID().toString().replace("-", "");
        long created = Instant.now().getEpochSecond();
        TokenLogprobsFormat logprobsFormat = logprobs ? new TokenLogprobsFormat(served.tokenizer()) : null;
        if (!stream) {
            var sink = new ChatReplySink(context, json, id, created, served.id(), logprobsFormat);
            RequestLifecycle.of(context).cancelWhenClientLeaves(modelService.submit(generation, sink));
            return;
        }
        var events = new SseStream(context, json);
        var sink = new ChatStreamSink(events, id, created, served.id(), includeUsage, logprobsFormat);
        RequestLifecycle.of(context).cancelWhenClientLeaves(modelService.submit(generation, sink));
        // Only once the request is queued: a refusal (429, 503) must still be a plain JSON error.
        events.open(sseKeepAlive);
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

    private static int[] promptTokens(List<ChatCompletionRequest.Message> messages, ServedModel served) {
        if (messages == null || messages.isEmpty()) {
            throw new InvalidRequestException("messages", "Invalid 'messages': expected a non-empty array of messages.");
        }
        List<ChatMessage> chat = new ArrayList<>(messages.size());
        for (int i = 0; i < messages.size(); i++) {
            chat.add(toChatMessage(messages.get(i), "messages.[" + i + "]"));
        }
        String rendered = served.chatTemplate().render(chat, true);
        Tokenizer tokenizer = served.tokenizer();
        // Many templates write the BOS text themselves; adding the BOS id as well would double it.
        boolean addBos = tokenizer.addsBos()
                && !(!tokenizer.bosText().isEmpty() && rendered.startsWith(tokenizer.bosText()));
        // Special tokens written by the template (<|user|>, ...) must become their ids.
        return tokenizer.encode(rendered, addBos, true);
    }

    private static ChatMessage toChatMessage(ChatCompletionRequest.Message message, String param) {
        if (message == null) {
            throw new InvalidRequestException(param, "Invalid '" + param + "': expected a message object.");
        }
        String role = message.role() == null ? null : TEMPLATE_ROLES.get(message.role());
        if (role == null) {
            throw new InvalidRequestException(param + ".role", "Invalid '" + param + ".role': expected one of system, "
                    + "developer, user or assistant, but got " + message.role() + ".");
        }
        return new ChatMessage(role, textContent(message.content(), param + ".content"));
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
