package dev.ggufserve.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ggufserve.config.LlmConfig;
import dev.ggufserve.grammar.GrammarNode;
import dev.ggufserve.serving.GenerationRequest;
import dev.ggufserve.serving.ModelService;
import dev.ggufserve.serving.ServedModel;
import dev.ggufserve.tokenizer.Tokenizer;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

/** POST /v1/completions: continues a raw prompt (text or token ids). */
@ApplicationScoped
public class CompletionsEndpoint {

    /** OpenAI's default for the legacy completions endpoint. */
    static final int DEFAULT_MAX_TOKENS = 16;
    /** OpenAI allows at most 5 alternatives per token here. */
    static final int MAX_LOGPROBS = 5;

    private final ModelService modelService;
    private final ApiJson json;
    private final Duration sseKeepAlive;
    private final StructuredOutputs structuredOutputs;

    public CompletionsEndpoint(ModelService modelService, ApiJson json, LlmConfig config,
                               StructuredOutputs structuredOutputs) {
        this.modelService = modelService;
        this.json = json;
        this.structuredOutputs = structuredOutputs;
        this.sseKeepAlive = config.sseKeepAlive();
    }

    /** A prompt as token ids, and as the text echoed back to the client. */
    private record Prompt(int[] tokens, String text) {
    }

    /** Runs on a worker thread: parsing and tokenization may take milliseconds. */
    void handle(RoutingContext context) throws IOException {
        CompletionRequest request = json.read(context.body().buffer(), CompletionRequest.class);
        ServedModel served = modelService.model();
        GenerationParameterValidation.checkModel(request, served);
        GenerationParameterValidation.checkSingleChoice(request);
        boolean stream = GenerationParameterValidation.streams(request);
        boolean includeUsage = GenerationParameterValidation.includesUsage(request);
        Integer logprobs = logprobs(request);
        boolean echo = Boolean.TRUE.equals(request.echo());

        GrammarNode completionGrammar = StructuredOutputs.responseFormat(request.responseFormat());

        Prompt prompt = prompt(request.prompt(), served.tokenizer());
        var generation = new GenerationRequest(prompt.tokens(),
                GenerationParameterValidation.maxTokens(request, DEFAULT_MAX_TOKENS, 0, prompt.tokens().length, served,
                        "prompt"),
                GenerationParameterValidation.sampling(request, served),
                GenerationParameterValidation.stops(request),
                logprobs != null, echo && logprobs != null, logprobs == null ? 0 : logprobs,
                completionGrammar == null ? null : structuredOutputs.constraint(completionGrammar, served.tokenizer()));

        String id = "cmpl-" + UUID.randomUUID().toString().replace("-", "");
        long created = Instant.now().getEpochSecond();
        var promptEcho = new CompletionEcho(prompt.tokens(), echo ? prompt.text() : null, served.tokenizer());
        // Offsets count from the start of the prompt, as OpenAI's do, whether or not it is echoed.
        CompletionLogprobsBuilder logprobsBuilder = logprobs == null ? null
                : new CompletionLogprobsBuilder(new TokenLogprobsFormat(served.tokenizer()),
                        echo ? 0 : prompt.text().length());
        if (!stream) {
            var sink = new CompletionReplySink(context, json, id, created, served.id(), promptEcho, logprobsBuilder);
            RequestLifecycle.of(context).cancelWhenClientLeaves(modelService.submit(generation, sink));
            return;
        }
        var events = new SseStream(context, json);
        var sink = new CompletionStreamSink(events, id, created, served.id(), includeUsage, promptEcho,
                logprobsBuilder);
        RequestLifecycle.of(context).cancelWhenClientLeaves(modelService.submit(generation, sink));
        // Only once the request is queued: a refusal (429, 503) must still be a plain JSON error.
        events.open(sseKeepAlive);
    }

    private static Integer logprobs(CompletionRequest request) {
        Integer logprobs = request.logprobs();
        if (logprobs != null && (logprobs < 0 || logprobs > MAX_LOGPROBS)) {
            throw new InvalidRequestException("logprobs", "Invalid 'logprobs': expected a value between 0 and "
                    + MAX_LOGPROBS + ", but got " + logprobs + ".");
        }
        return logprobs;
    }

    /**
     * A prompt is a string, an array holding one string, an array of token ids, or an array holding
     * one array of token ids. Several prompts in one request are not supported.
     */
    private static Prompt prompt(JsonNode prompt, Tokenizer tokenizer) {
        if (prompt == null || prompt.isNull()) {
            throw new InvalidRequestException("prompt", "You must provide a prompt.");
        }
        JsonNode single = prompt.isArray() && prompt.size() == 1 && !prompt.get(0).isNumber() ? prompt.get(0) : prompt;
        if (single.isTextual()) {
            String text = single.textValue();
            if (text.isEmpty()) {
                throw new InvalidRequestException("prompt", "Invalid 'prompt': the prompt must not be empty.");
            }
            return new Prompt(tokenizer.encode(text, tokenizer.addsBos(), true), text);
        }
        if (single.isArray() && !single.isEmpty()) {
            return tokenIdPrompt(single, tokenizer);
        }
        throw new InvalidRequestException("prompt", "Invalid 'prompt': expected a non-empty string, an array of one "
                + "string, or an array of token ids.");
    }

    private static Prompt tokenIdPrompt(JsonNode ids, Tokenizer tokenizer) {
        int[] tokens = new int[ids.size()];
        var text = new ByteArrayOutputStream();
        for (int i = 0; i < tokens.length; i++) {
            JsonNode id = ids.get(i);
            if (!id.isIntegralNumber() || !id.canConvertToInt() || !tokenizer.isValidId(id.intValue())) {
                throw new InvalidRequestException("prompt", "Invalid 'prompt': " + id + " is not a token id of this "
                        + "model (expected 0 to " + (tokenizer.vocabularySize() - 1) + ").");
            }
            tokens[i] = id.intValue();
            text.writeBytes(tokenizer.tokenBytes(tokens[i]));
        }
        return new Prompt(tokens, text.toString(StandardCharsets.UTF_8));
    }
}
