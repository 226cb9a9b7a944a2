package dev.ggufserve.api;

import dev.ggufserve.sampling.TokenLogprobs;
import dev.ggufserve.serving.FinishReason;
import dev.ggufserve.serving.GenerationSink;

import java.util.List;
import java.util.Optional;

/**
 * Streams a chat completion as {@code chat.completion.chunk} events: the role first, then content
 * deltas, then an empty delta with the finish reason, the usage chunk when asked for, and [DONE].
 */
final class ChatStreamSink implements GenerationSink {

    private final SseStream stream;
    private final String id;
    private final long created;
    private final String model;
    private final boolean includeUsage;
    /** Null when logprobs were not asked for. */
    private final TokenLogprobsFormat logprobsFormat;
    private boolean roleSent;

    ChatStreamSink(SseStream stream, String id, long created, String model, boolean includeUsage,
                   TokenLogprobsFormat logprobsFormat) {
        this.stream = stream;
        this.id = id;
        this.created = created;
        this.model = model;
        this.includeUsage = includeUsage;
        this.logprobsFormat = logprobsFormat;
    }

    @Override
    public void promptScored(List<TokenLogprobs> fromSecondToken) {
        // Chat completions report log-probabilities of generated tokens only.
    }

    @Override
    public void generated(String text, TokenLogprobs logprobs) {
        sendRoleOnce();
        if (text.isEmpty() && logprobs == null) {
            return;
        }
        ChatLogprobs chunkLogprobs = logprobs == null || logprobsFormat == null
                ? null
                : new ChatLogprobs(List.of(logprobsFormat.chatEntry(logprobs)));
        send(new ChatCompletionChunk.Delta(null, text), chunkLogprobs, null);
    }

    @Override
    public void finished(FinishReason reason, int promptTokens, int completionTokens) {
        sendRoleOnce();
        send(new ChatCompletionChunk.Delta(null, null), null, reason.openAiName());
        if (includeUsage) {
            stream.send(new ChatCompletionChunk(id, created, model, List.of(),
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

    private void sendRoleOnce() {
        if (!roleSent) {
            roleSent = true;
            send(new ChatCompletionChunk.Delta("assistant", ""), null, null);
        }
    }

    private void send(ChatCompletionChunk.Delta delta, ChatLogprobs logprobs, String finishReason) {
        var choice = new ChatCompletionChunk.Choice(0, delta, logprobs, finishReason);
        stream.send(new ChatCompletionChunk(id, created, model, List.of(choice),
                includeUsage ? Optional.empty() : null));
    }
}
