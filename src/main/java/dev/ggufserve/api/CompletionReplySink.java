package dev.ggufserve.api;

import dev.ggufserve.sampling.TokenLogprobs;
import dev.ggufserve.serving.FinishReason;
import dev.ggufserve.serving.GenerationSink;
import io.vertx.ext.web.RoutingContext;

import java.util.List;
import java.util.Optional;

/** Collects a whole text completion and replies with one {@code text_completion} JSON object. */
final class CompletionReplySink implements GenerationSink {

    private final RoutingContext context;
    private final ApiJson json;
    private final String id;
    private final long created;
    private final String model;
    private final CompletionEcho echo;
    /** Null when logprobs were not asked for. */
    private final CompletionLogprobsBuilder logprobs;
    private final StringBuilder text = new StringBuilder();

    CompletionReplySink(RoutingContext context, ApiJson json, String id, long created, String model,
                        CompletionEcho echo, CompletionLogprobsBuilder logprobs) {
        this.context = context;
        this.json = json;
        this.id = id;
        this.created = created;
        this.model = model;
        this.echo = echo;
        this.logprobs = logprobs;
    }

    @Override
    public void promptScored(List<TokenLogprobs> fromSecondToken) {
        echo.addPromptLogprobs(fromSecondToken, logprobs);
    }

    @Override
    public void generated(String piece, TokenLogprobs tokenLogprobs) {
        text.append(echo.takeText()).append(piece);
        if (tokenLogprobs != null && logprobs != null) {
            logprobs.add(tokenLogprobs);
        }
    }

    @Override
    public void finished(FinishReason reason, int promptTokens, int completionTokens) {
        text.append(echo.takeText());
        var choice = new Completion.Choice(text.toString(), 0, logprobs == null ? null : logprobs.all(),
                reason.openAiName());
        json.sendJson(context.response(), 200, new Completion(id, created, model, List.of(choice),
                Optional.of(new Usage(promptTokens, completionTokens))));
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
