package dev.ggufserve.api;

import dev.ggufserve.sampling.TokenLogprobs;
import dev.ggufserve.serving.FinishReason;
import dev.ggufserve.serving.GenerationSink;

import java.util.List;
import java.util.Optional;

/**
 * Streams a text completion as {@code text_completion} events: the echoed prompt first (when asked
 * for), then one event per piece of text, then an empty text with the finish reason, the usage chunk
 * when asked for, and [DONE].
 */
final class CompletionStreamSink implements GenerationSink {

    private final SseStream stream;
    private final String id;
    private final long created;
    private final String model;
    private final boolean includeUsage;
    private final CompletionEcho echo;
    /** Null when logprobs were not asked for. */
    private final CompletionLogprobsBuilder logprobs;

    CompletionStreamSink(SseStream stream, String id, long created, String model, boolean includeUsage,
                         CompletionEcho echo, CompletionLogprobsBuilder logprobs) {
        this.stream = stream;
        this.id = id;
        this.created = created;
        this.model = model;
        this.includeUsage = includeUsage;
        this.echo = echo;
        this.logprobs = logprobs;
    }

    @Override
    public void promptScored(List<TokenLogprobs> fromSecondToken) {
        echo.addPromptLogprobs(fromSecondToken, logprobs);
    }

    @Override
    public void generated(String text, TokenLogprobs tokenLogprobs) {
        if (tokenLogprobs != null && logprobs != null) {
            logprobs.add(tokenLogprobs);
        }
        String pending = echo.takeText() + text;
        if (!pending.isEmpty() || tokenLogprobs != null) {
            send(pending, null);
        }
    }

    @Override
    public void finished(FinishReason reason, int promptTokens, int completionTokens) {
        send(echo.takeText(), reason.openAiName());
        if (includeUsage) {
            stream.send(new Completion(id, created, model, List.of(),
                    Optional.of(new Usage(promptTokens, completionTokens))));
        }
        stream.sendDone();
    }

    @Override
    public void failed(RuntimeException error) {
        stream.fail(error);
    }

    @Override
    public void cancelled() {
        // The client is gone; there is nobody to tell.
    }

    private void send(String text, String finishReason) {
        var choice = new Completion.Choice(text, 0, logprobs == null ? null : logprobs.takeNew(), finishReason);
        stream.send(new Completion(id, created, model, List.of(choice), includeUsage ? Optional.empty() : null));
    }
}
