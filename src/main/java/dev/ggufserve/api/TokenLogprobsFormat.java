package dev.ggufserve.api;

import dev.ggufserve.sampling.TokenLogprobs;
import dev.ggufserve.sampling.TopLogprob;
import dev.ggufserve.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Turns the sampler's log-probabilities into the two shapes OpenAI uses, with token texts. */
final class TokenLogprobsFormat {

    private final Tokenizer tokenizer;

    TokenLogprobsFormat(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** One entry of a chat completion's {@code logprobs.content}. */
    ChatLogprobs.TokenEntry chatEntry(TokenLogprobs logprobs) {
        List<ChatLogprobs.TopEntry> top = new ArrayList<>(logprobs.top().size());
        for (TopLogprob alternative : logprobs.top()) {
            top.add(new ChatLogprobs.TopEntry(tokenizer.tokenText(alternative.tokenId()), alternative.logprob(),
                    unsignedBytes(alternative.tokenId())));
        }
        return new ChatLogprobs.TokenEntry(tokenizer.tokenText(logprobs.tokenId()), logprobs.logprob(),
                unsignedBytes(logprobs.tokenId()), top);
    }

    String tokenText(int tokenId) {
        return tokenizer.tokenText(tokenId);
    }

    /**
     * A completion's {@code top_logprobs} entry: token text to log-probability. Two ids can share a
     * text; the map keeps the likelier one, which comes first.
     */
    Map<String, Float> topMap(TokenLogprobs logprobs) {
        Map<String, Float> top = new LinkedHashMap<>();
        for (TopLogprob alternative : logprobs.top()) {
            top.putIfAbsent(tokenizer.tokenText(alternative.tokenId()), alternative.logprob());
        }
        return top;
    }

    private List<Integer> unsignedBytes(int tokenId) {
        byte[] bytes = tokenizer.tokenBytes(tokenId);
        List<Integer> values = new ArrayList<>(bytes.length);
        for (byte b : bytes) {
            values.add(Byte.toUnsignedInt(b));
        }
        return values;
    }
}
