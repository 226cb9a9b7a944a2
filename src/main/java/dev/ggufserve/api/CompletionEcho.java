package dev.ggufserve.api;

import dev.ggufserve.sampling.TokenLogprobs;
import dev.ggufserve.tokenizer.Tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The prompt part of a completion's reply when {@code echo} is true: its text comes before the first
 * generated text, and its tokens open the log-probability lists. Without echo it adds nothing.
 */
final class CompletionEcho {

    private final int[] promptTokens;
    /** The prompt as the client should see it again, or null without echo. */
    private final String promptText;
    private final Tokenizer tokenizer;
    private boolean textTaken;

    CompletionEcho(int[] promptTokens, String promptText, Tokenizer tokenizer) {
        this.promptTokens = promptTokens;
        this.promptText = promptText;
        this.tokenizer = tokenizer;
    }

    /** The prompt text the first time it is asked for (with echo), "" afterwards and without echo. */
    String takeText() {
        String text = promptText == null || textTaken ? "" : promptText;
        textTaken = true;
        return text;
    }

    /**
     * Puts the prompt's tokens at the start of {@code logprobs}. Prompt log-probabilities are only
     * computed when both echo and logprobs were asked for, so neither is missing here.
     */
    void addPromptLogprobs(List<TokenLogprobs> fromSecondToken, CompletionLogprobsBuilder logprobs) {
        List<String> pieces = promptPieces();
        logprobs.add(pieces.getFirst(), null);
        for (int i = 0; i < fromSecondToken.size(); i++) {
            logprobs.add(pieces.get(i + 1), fromSecondToken.get(i));
        }
    }

    /**
     * The prompt's tokens as pieces of the echoed text, so that they join to exactly that text and the
     * offsets point into it. A token's piece is its bytes: control tokens such as BOS show nothing, and
     * the space SentencePiece puts before the first word (which the client never wrote) is dropped.
     */
    private List<String> promptPieces() {
        List<String> pieces = new ArrayList<>(promptTokens.length);
        for (int token : promptTokens) {
            pieces.add(new String(tokenizer.tokenBytes(token), StandardCharsets.UTF_8));
        }
        String joined = String.join("", pieces);
        int extra = joined.length() - promptText.length();
        if (extra > 0 && joined.endsWith(promptText)) {
            for (int i = 0; i < pieces.size() && extra > 0; i++) {
                int dropped = Math.min(extra, pieces.get(i).length());
                pieces.set(i, pieces.get(i).substring(dropped));
                extra -= dropped;
            }
        }
        return pieces;
    }
}
