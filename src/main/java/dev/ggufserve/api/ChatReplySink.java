package dev.ggufserve.api;

import dev.ggufserve.sampling.TokenLogprobs;
import dev.ggufserve.serving.FinishReason;
import dev.ggufserve.serving.GenerationSink;
import io.vertx.ext.web.RoutingContext;

import java.util.ArrayList;
import java.util.List;

/** Collects a whole chat completion and replies with one {@code chat.completion} JSON object. */
final class ChatReplySink implements GenerationSink {

    private final RoutingContext context;
    private final ApiJson json;
    private final String id;
    private final long created;
    private final String model;
    /** Null when logprobs were not asked for. */
    private final TokenLogprobsFormat logprobsFormat;
    private final StringBuilder content = new StringBuilder();
    private final List<ChatLogprobs.TokenEntry> logprobs = new ArrayList<>();

    ChatReplySink(RoutingContext context, ApiJson json, String id, long created, String model,
                  TokenLogprobsFormat logprobsFormat) {
        this.context = context;
        this.json = json;
        this.id = id;
        this.created = created;
        this.model = model;
        this.logprobsFormat = logprobsFormat;
    }

    @Override
    public void promptScored(List<TokenLogprobs> fromSecondToken) {
        // Chat completions report log-probabilities of generated tokens only.
    }

    @Override
    public void generated(String text, TokenLogprobs tokenLogprobs) {
        content.append(text);
        if (tokenLogprobs != null && logprobsFormat != null) {
            logprobs.add(logprobsFormat.chatEntry(tokenLogprobs));
        }
    }

    @Override
    public void finished(FinishReason reason, int promptTokens, int completionTokens) {
        var choice = new ChatCompletion.Choice(0, new ChatCompletion.Message("assistant", content.toString()),
                logprobsFormat == null ? null : new ChatLogprobs(logprobs), reason.openAiName());
        json.sendJson(context.response(), 200,
                new ChatCompletion(id, created, model, choice, new Usage(promptTokens, completionTokens)));
    }

    @Override
    public void failed(RuntimeException error) {
        RequestLifecycle.of(context).generationFailed();
        json.sendError(context.response(), error);
    }

    @Override
    public void cancelled() {
        // The client is gone; there is nobody to tell.
    }
}
