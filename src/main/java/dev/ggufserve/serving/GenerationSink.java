package dev.ggufserve.serving;

import dev.ggufserve.sampling.TokenLogprobs;

import java.util.List;

/**
 * Receives one generation as it happens. All calls come from the replica's worker thread, in order:
 * {@code promptScored} (only when prompt log-probabilities were asked for), then {@code generated} per
 * token, then exactly one of {@code finished}, {@code failed} or {@code cancelled}.
 */
public interface GenerationSink {

    /** The log-probabilities of prompt tokens 1..n-1 (the first token has no context to score it). */
    void promptScored(List<TokenLogprobs> fromSecondToken);

    /**
     * Text completed by the next token, possibly empty while a UTF-8 character or a possible stop
     * string is held back.
     *
     * @param logprobs the token's log-probabilities, or null when none were asked for or the text is
     *                 the held-back tail released at the end
     */
    void generated(String text, TokenLogprobs logprobs);

    void finished(FinishReason reason, int promptTokens, int completionTokens);

    /** The generation broke; the replica has been reset and keeps serving others. */
    void failed(RuntimeException error);

    /** The client went away, before or during generation. */
    void cancelled();
}
