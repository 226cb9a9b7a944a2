package dev.ggufserve.serving;

import dev.ggufserve.sampling.TokenLogprobs;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** Records what a generation reported, and can act on each token (to cancel mid-generation). */
final class RecordingSink implements GenerationSink {

    final StringBuilder text = new StringBuilder();
    final List<TokenLogprobs> tokenLogprobs = new ArrayList<>();
    List<TokenLogprobs> promptLogprobs;
    FinishReason finished;
    int completionTokens = -1;
    RuntimeException failure;
    boolean cancelled;
    int tokens;
    /** Called after each piece of text (one per generated token, then maybe the released tail), with the count. */
    Consumer<Integer> onToken = count -> { };

    @Override
    public void promptScored(List<TokenLogprobs> fromSecondToken) {
        promptLogprobs = fromSecondToken;
    }

    @Override
    public void generated(String piece, TokenLogprobs logprobs) {
        text.append(piece);
        if (logprobs != null) {
            tokenLogprobs.add(logprobs);
        }
        onToken.accept(++tokens);
    }

    @Override
    public void finished(FinishReason reason, int promptTokens, int completionTokens) {
        this.finished = reason;
        this.completionTokens = completionTokens;
    }

    @Override
    public void failed(RuntimeException error) {
        failure = error;
    }

    @Override
    public void cancelled() {
        cancelled = true;
    }

    boolean ended() {
        return finished != null || failure != null || cancelled;
    }
}
