package dev.ggufserve.api;

import dev.ggufserve.sampling.TokenLogprobs;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Collects a text completion's log-probabilities token by token, tracking where each token starts in
 * the choice's text. A stream takes the entries added since its last chunk; a plain reply takes all.
 */
final class CompletionLogprobsBuilder {

    private final TokenLogprobsFormat format;
    private final List<String> tokens = new ArrayList<>();
    private final List<Float> tokenLogprobs = new ArrayList<>();
    private final List<Map<String, Float>> topLogprobs = new ArrayList<>();
    private final List<Integer> textOffsets = new ArrayList<>();
    private int nextOffset;
    /** Index of the first entry not yet handed to a stream chunk. */
    private int firstUntaken;

    /** @param firstOffset where the first token starts: 0 when the prompt is echoed, its length otherwise */
    CompletionLogprobsBuilder(TokenLogprobsFormat format, int firstOffset) {
        this.format = format;
        this.nextOffset = firstOffset;
    }

    /** A generated token, shown as its text. */
    void add(TokenLogprobs logprobs) {
        add(format.tokenText(logprobs.tokenId()), logprobs);
    }

    /**
     * A token shown as {@code text}.
     *
     * @param logprobs null for the first prompt token: nothing precedes it, so it has no log-probability
     */
    void add(String text, TokenLogprobs logprobs) {
        if (logprobs == null) {
            add(text, null, null);
        } else {
            add(text, logprobs.logprob(), format.topMap(logprobs));
        }
    }

    /** Everything collected. */
    CompletionLogprobs all() {
        return range(0);
    }

    /** What was added since the previous call, for one stream chunk. */
    CompletionLogprobs takeNew() {
        CompletionLogprobs fresh = range(firstUntaken);
        firstUntaken = tokens.size();
        return fresh;
    }

    private void add(String text, Float logprob, Map<String, Float> top) {
        tokens.add(text);
        tokenLogprobs.add(logprob);
        topLogprobs.add(top);
        textOffsets.add(nextOffset);
        nextOffset += text.length();
    }

    private CompletionLogprobs range(int from) {
        int to = tokens.size();
        return new CompletionLogprobs(List.copyOf(tokens.subList(from, to)),
                new ArrayList<>(tokenLogprobs.subList(from, to)), new ArrayList<>(topLogprobs.subList(from, to)),
                List.copyOf(textOffsets.subList(from, to)));
    }
}
