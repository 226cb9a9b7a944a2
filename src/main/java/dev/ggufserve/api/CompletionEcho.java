package dev.ggufserve.api;

import dev.ggufserve.sampling.TokenLogprobs;

import java.util.List;

/**
 * The prompt part of a completion's reply when {@code echo} is true: its text comes before the first
 * generated text, and its tokens open the log-probability lists. Without echo it adds nothing.
 */
final class CompletionEcho {

    private final int[] promptTokens;
    private String pendingText;

    /** @param promptText the prompt as the client should see it again, or null without echo */
    CompletionEcho(int[] promptTokens, String promptText) {
        this.promptTokens = promptTokens;
        this.pendingText = promptText;
    }

    /** The prompt text the first time it is asked for (with echo), "" afterwards and without echo. */
    String takeText() {
        String text = pendingText == null ? "" : pendingText;
        pendingText = null;
        return text;
    }

    /**
     * Puts the prompt's tokens at the start of {@code logprobs}. Prompt log-probabilities are only
     * computed when both echo and logprobs were asked for, so neither is missing here.
     */
    void addPromptLogprobs(List<TokenLogprobs> fromSecondToken, CompletionLogprobsBuilder logprobs) {
        logprobs.addUnscored(promptTokens[0]);
        fromSecondToken.forEach(logprobs::add);
    }
}
