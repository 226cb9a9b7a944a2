package dev.ggufserve.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class TokenLogprobsTest {

    @Test
    void logprobsAreTheLogSoftmaxOfTheRawLogits() {
        float[] logits = {1.0f, 2.0f, 3.0f};
        double logSumExp = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));

        TokenLogprobs result = TokenLogprobs.of(logits, 0, 3);

        assertEquals(0, result.tokenId());
        assertEquals(1.0 - logSumExp, result.logprob(), 1e-6);
        assertEquals(List.of(2, 1, 0), result.top().stream().map(TopLogprob::tokenId).toList());
        assertEquals(3.0 - logSumExp, result.top().get(0).logprob(), 1e-6);
        assertEquals(2.0 - logSumExp, result.top().get(1).logprob(), 1e-6);
        double probabilitySum = result.top().stream().mapToDouble(top -> Math.exp(top.logprob())).sum();
        assertEquals(1.0, probabilitySum, 1e-6);
    }

    @Test
    void topListsTheMostLikelyInDescendingOrderWithTiesByLowerId() {
        float[] logits = {0.5f, 3.0f, 1.0f, 3.0f, -2.0f, 1.0f, 2.0f};

        TokenLogprobs result = TokenLogprobs.of(logits, 4, 5);

        assertEquals(List.of(1, 3, 6, 2, 5), result.top().stream().map(TopLogprob::tokenId).toList());
        for (int i = 1; i < result.top().size(); i++) {
            assertTrue(result.top().get(i - 1).logprob() >= result.top().get(i).logprob());
        }
    }

    @Test
    void topNZeroGivesOnlyTheChosenToken() {
        TokenLogprobs result = TokenLogprobs.of(new float[] {0.0f, 0.0f}, 1, 0);

        assertEquals(List.of(), result.top());
        assertEquals(Math.log(0.5), result.logprob(), 1e-6);
    }

    @Test
    void topNLargerThanTheVocabularyListsEveryToken() {
        TokenLogprobs result = TokenLogprobs.of(new float[] {1.0f, 2.0f}, 0, 20);

        assertEquals(List.of(1, 0), result.top().stream().map(TopLogprob::tokenId).toList());
    }

    @Test
    void largeLogitsStayFinite() {
        float[] logits = {1000.0f, 999.0f, -1000.0f, Float.NEGATIVE_INFINITY};

        TokenLogprobs result = TokenLogprobs.of(logits, 1, 4);

        double logSumExp = 1000.0 + Math.log(1.0 + Math.exp(-1.0));
        assertEquals(999.0 - logSumExp, result.logprob(), 1e-5);
        assertEquals(1000.0 - logSumExp, result.top().get(0).logprob(), 1e-5);
        assertEquals(Float.NEGATIVE_INFINITY, result.top().get(3).logprob());
    }

    @Test
    void doesNotModifyTheLogits() {
        float[] logits = {0.3f, -1.0f, 2.5f};
        float[] original = logits.clone();

        TokenLogprobs.of(logits, 2, 2);

        assertArrayEquals(original, logits);
    }
}
