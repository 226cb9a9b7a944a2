package dev.ggufserve.api;

import dev.ggufserve.sampling.TokenLogprobs;
import dev.ggufserve.serving.FinishReason;
import dev.ggufserve.serving.GenerationSink;
import dev.ggufserve.tools.ToolCallFormat;
import dev.ggufserve.tools.ToolCallParser;
import io.vertx.ext.web.RoutingContext;

import java.util.ArrayList;
import java.util.List;

/**
 * Collects a whole chat completion and replies with one {@code chat.completion} JSON object; when tools are
 * offered, the reply is split into content and {@code tool_calls}.
 */
final class ChatReplySink implements GenerationSink, ToolCallParser.Listener {

    private final RoutingContext context;
    private final ApiJson json;
    private final String id;
    private final long created;
    private final String model;
    /** Null when logprobs were not asked for. */
    private final TokenLogprobsFormat logprobsFormat;
    private final StringBuilder content = new StringBuilder();
    private final List<ChatLogprobs.TokenEntry> logprobs = new ArrayList<>();
    /** Null when no tools are offered. */
    private final ToolCallParser toolCallParser;
    private final ToolCallFormat toolFormat;
    private final List<String> callIds = new ArrayList<>();
    private final List<String> callNames = new ArrayList<>();
    private final List<StringBuilder> callArguments = new ArrayList<>();

    /** @param toolFormat the format tool calls are parsed in, or null when no tools are offered */
    ChatReplySink(RoutingContext context, ApiJson json, String id, long created, String model,
                  TokenLogprobsFormat logprobsFormat, ToolCallFormat toolFormat, boolean mayBeText) {
        this.context = context;
        this.json = json;
        this.id = id;
        this.created = created;
        this.model = model;
        this.logprobsFormat = logprobsFormat;
        this.toolFormat = toolFormat;
        this.toolCallParser = toolFormat == null ? null : new ToolCallParser(toolFormat, mayBeText, this);
    }

    @Override
    public void promptScored(List<TokenLogprobs> fromSecondToken) {
        // Chat completions report log-probabilities of generated tokens only.
    }

    @Override
    public void generated(String text, TokenLogprobs tokenLogprobs) {
        if (toolCallParser != null) {
            toolCallParser.accept(text);
        } else {
            content.append(text);
        }
        if (tokenLogprobs != null && logprobsFormat != null) {
            logprobs.add(logprobsFormat.chatEntry(tokenLogprobs));
        }
    }

    @Override
    public void finished(FinishReason reason, int promptTokens, int completionTokens) {
        if (toolCallParser != null) {
            toolCallParser.finish();
        }
        List<ChatToolCall> calls = new ArrayList<>();
        for (int i = 0; i < callIds.size(); i++) {
            calls.add(new ChatToolCall(callIds.get(i), callNames.get(i), callArguments.get(i).toString()));
        }
        String text = calls.isEmpty() || !content.isEmpty() ? content.toString() : null;
        String finishReason = !calls.isEmpty() && reason == FinishReason.STOP ? "tool_calls" : reason.openAiName();
        var choice = new ChatCompletion.Choice(0, new ChatCompletion.Message("assistant", text, calls),
                logprobsFormat == null ? null : new ChatLogprobs(logprobs), finishReason);
        json.sendJson(context.response(), 200,
                new ChatCompletion(id, created, model, choice, new Usage(promptTokens, completionTokens)));
    }

    @Override
    public void content(String text) {
        content.append(text);
    }

    @Override
    public void callStarted(int index, String name) {
        callIds.add(ChatToolCall.newId(toolFormat.idLength()));
        callNames.add(name);
        callArguments.add(new StringBuilder());
    }

    @Override
    public void arguments(int index, String fragment) {
        callArguments.get(index).append(fragment);
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
