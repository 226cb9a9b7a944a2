package dev.ggufserve.sampling;

import java.util.ArrayList;
import java.util.List;

/**
 * The log-probability of the token chosen at one position and of the most likely tokens there, as
 * the OpenAI {@code logprobs} option reports them. They come from the model's raw logits, before any
 * bias, penalty or temperature, so they describe the model rather than the sampling settings.
 *
 * @param top the most likely tokens, most likely first (ties: lower id first)
 */
public record TokenLogprobs(int tokenId, float logprob, List<TopLogprob> top) {

    public TokenLogprobs {
        top = List.copyOf(top);
    }

    /**
     * Computes the log-softmax of {@code logits} and reports {@code tokenId} and the {@code topN} most
     * likely tokens (fewer when the vocabulary is smaller). Does not modify {@code logits}.
     */
    public static TokenLogprobs of(float[] logits, int tokenId, int topN) {
        double logSumExp = logSumExp(logits);
        int[] topIds = mostLikelyIds(logits, Math.min(topN, logits.length));
        List<TopLogprob> top = new ArrayList<>(topIds.length);
        for (int id : topIds) {
            top.add(new TopLogprob(id, (float) (logits[id] - logSumExp)));
        }
        return new TokenLogprobs(tokenId, (float) (logits[tokenId] - logSumExp), top);
    }

    /**
     * log(sum(exp(logits))), computed as max + log(sum(exp(logit - max))) in double so that large
     * logits neither overflow nor lose the small terms.
     */
    private static double logSumExp(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float logit : logits) {
            max = Math.max(max, logit);
        }
        double sum = 0.0;
        for (float logit : logits) {
            sum += Math.exp(logit - max);
        }
        return max + Math.log(sum);
    }

    /**
     * The ids of the {@code count} highest logits, highest first. Keeps a small sorted list and inserts
     * into it: {@code count} is small (OpenAI allows at most 20), so most logits are rejected by one
     * comparison with the list's last entry, and the vocabulary is scanned once without sorting.
     */
    private static int[] mostLikelyIds(float[] logits, int count) {
        int[] ids = new int[count];
        if (count == 0) {
            return ids;
        }
        int filled = 0;
        for (int id = 0; id < logits.length; id++) {
            float logit = logits[id];
            // Strictly greater: ids are visited in ascending order, so on a tie the earlier (lower)
            // id keeps its place.
            if (filled == count && !(logit > logits[ids[count - 1]])) {
                continue;
            }
            int position = filled == count ? count - 1 : filled++;
            while (position > 0 && logit > logits[ids[position - 1]]) {
                ids[position] = ids[position - 1];
                position--;
            }
            ids[position] = id;
        }
        return ids;
    }
}
