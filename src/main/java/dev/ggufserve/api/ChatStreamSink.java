package dev.ggufserve.api;

import dev.ggufserve.sampling.TokenLogprobs;
import dev.ggufserve.serving.FinishReason;
import dev.ggufserve.serving.GenerationSink;
import dev.ggufserve.tools.ToolCallFormat;
import dev.ggufserve.tools.ToolCallParser;

import java.util.List;
import java.util.Optional;

/**
 * Streams a chat completion as {@code chat.completion.chunk} events: the role first, then content
 * deltas, then an empty delta with the finish reason, the usage chunk when asked for, and [DONE]. When tools
 * are offered, calls stream as {@code delta.tool_calls}: the first piece of each carries its index, id, type and
 * name, the following ones fragments of its arguments, as OpenAI streams them.
 */
final class ChatStreamSink implements GenerationSink, ToolCallParser.Listener {

    private final SseStream stream;
    private final String id;
    private final long created;
    private final String model;
    private final boolean includeUsage;
    /** Null when logprobs were not asked for. */
    private final TokenLogprobsFormat logprobsFormat;
    /** Null when no tools are offered. */
    private final ToolCallParser toolCallParser;
    private final ToolCallFormat toolFormat;
    private boolean roleSent;

    /** @param toolFormat the format tool calls are parsed in, or null when no tools are offered */
    ChatStreamSink(SseStream stream, String id, long created, String model, boolean includeUsage,
                   TokenLogprobsFormat logprobsFormat, ToolCallFormat toolFormat, boolean mayBeText) {
        this.stream = stream;
        this.id = id;
        this.created = created;
        this.model = model;
        this.includeUsage = includeUsage;
        this.logprobsFormat = logprobsFormat;
        this.toolFormat = toolFormat;
        this.toolCallParser = toolFormat == null ? null : new ToolCallParser(toolFormat, mayBeText, this);
    }

    @Override
    public void promptScored(List<TokenLogprobs> fromSecondToken) {
        // Chat completions report log-probabilities of generated tokens only.
    }

    @Override
    public void generated(String text, TokenLogprobs logprobs) {
        sendRoleOnce();
        if (toolCallParser != null) {
            // Log-probabilities are not reported beside tool calls.
            toolCallParser.accept(text);
            return;
        }
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
        String finishReason = reason.openAiName();
        if (toolCallParser != null) {
            toolCallParser.finish();
            if (toolCallParser.calls() > 0 && reason == FinishReason.STOP) {
                finishReason = "tool_calls";
            }
        }
        send(new ChatCompletionChunk.Delta(null, null), null, finishReason);
        if (includeUsage) {
            stream.send(new ChatCompletionChunk(id, created, model, List.of(),
                    Optional.of(new Usage(promptTokens, completionTokens))));
        }
        stream.sendDone();
    }

    @Override
    public void content(String text) {
        send(new ChatCompletionChunk.Delta(null, text), null, null);
    }

    @Override
    public void callStarted(int index, String name) {
        var function = new ChatToolCall.FunctionDelta(name, "");
        sendToolCall(new ChatToolCall.Delta(index, ChatToolCall.newId(toolFormat.idLength()), "function", function));
    }

    @Override
    public void arguments(int index, String fragment) {
        sendToolCall(new ChatToolCall.Delta(index, null, null, new ChatToolCall.FunctionDelta(null, fragment)));
    }

    private void sendToolCall(ChatToolCall.Delta call) {
        send(new ChatCompletionChunk.Delta(null, null, List.of(call)), null, null);
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
