package dev.ggufserve.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class SamplerTest {

    private static final int[] NOTHING_GENERATED = new int[0];

    private static SamplingParams params(double temperature, double topP, int topK, double minP) {
        return new SamplingParams(temperature, topP, topK, minP, 0.0, 0.0, Map.of(), 42L);
    }

    private static SamplingParams withBias(double temperature, Map<Integer, Double> logitBias) {
        return new SamplingParams(temperature, 1.0, 0, 0.0, 0.0, 0.0, logitBias, 42L);
    }

    private static SamplingParams withPenalties(double presencePenalty, double frequencyPenalty) {
        return new SamplingParams(0.0, 1.0, 0, 0.0, presencePenalty, frequencyPenalty, Map.of(), null);
    }

    /** Draws {@code draws} tokens from the same logits and returns how often each id came up. */
    private static int[] drawCounts(Sampler sampler, float[] logits, int draws) {
        int[] counts = new int[logits.length];
        for (int i = 0; i < draws; i++) {
            counts[sampler.sample(logits, NOTHING_GENERATED, 0)]++;
        }
        return counts;
    }

    private static Set<Integer> drawnIds(int[] counts) {
        return IntStream.range(0, counts.length).filter(id -> counts[id] > 0).boxed()
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /** Logits whose softmax (at temperature 1) is exactly the given probabilities. */
    private static float[] logitsOf(double... probabilities) {
        float[] logits = new float[probabilities.length];
        for (int i = 0; i < probabilities.length; i++) {
            logits[i] = (float) Math.log(probabilities[i]);
        }
        return logits;
    }

    private static void assertFrequencies(double[] expected, int[] counts, int draws) {
        for (int id = 0; id < expected.length; id++) {
            assertEquals(expected[id], counts[id] / (double) draws, 0.01, "frequency of token " + id);
        }
    }

    @Test
    void greedyPicksTheArgmaxWithTiesToTheLowestId() {
        Sampler sampler = new Sampler(SamplingParams.greedy());

        assertEquals(2, sampler.sample(new float[] {0.1f, -3f, 7.5f, 2f}, NOTHING_GENERATED, 0));
        assertEquals(1, sampler.sample(new float[] {0.1f, 4f, 2f, 4f}, NOTHING_GENERATED, 0));
        assertEquals(0, sampler.sample(new float[] {-1f, -1f, -1f}, NOTHING_GENERATED, 0));
    }

    @Test
    void doesNotModifyTheLogits() {
        float[] logits = {1.5f, -0.5f, 3.0f, 0.0f, 2.0f};
        float[] original = logits.clone();
        SamplingParams allStages = new SamplingParams(0.8, 0.9, 3, 0.05, 0.5, 0.5, Map.of(2, -1.0), 7L);

        new Sampler(allStages).sample(logits, new int[] {2, 2, 4}, 3);

        assertArrayEquals(original, logits);
    }

    @Test
    void aBiasOfMinus100BansTheTokenEvenWithAHugeLogit() {
        float[] logits = {1000f, 0f, -5f};
        Map<Integer, Double> banFirst = Map.of(0, -100.0);

        assertEquals(1, new Sampler(withBias(0.0, banFirst)).sample(logits, NOTHING_GENERATED, 0));
        int[] counts = drawCounts(new Sampler(withBias(1.0, banFirst)), logits, 2000);
        assertEquals(0, counts[0]);
        assertEquals(2000, counts[1] + counts[2]);
    }

    @Test
    void aBiasOfPlus100ForcesTheToken() {
        float[] logits = {5f, 0f, 3f};

        int[] counts = drawCounts(new Sampler(withBias(1.0, Map.of(1, 100.0))), logits, 2000);

        assertEquals(2000, counts[1]);
    }

    @Test
    void aSmallBiasIsAddedToTheLogit() {
        float[] logits = {2f, 1f, 0f};

        assertEquals(2, new Sampler(withBias(0.0, Map.of(2, 2.5))).sample(logits, NOTHING_GENERATED, 0));
        assertEquals(1, new Sampler(withBias(0.0, Map.of(0, -1.5))).sample(logits, NOTHING_GENERATED, 0));
    }

    @Test
    void whenEveryTokenIsBannedTheModelsArgmaxIsReturned() {
        float[] logits = {1f, 3f, 2f};
        Map<Integer, Double> banAll = Map.of(0, -100.0, 1, -100.0, 2, -100.0);

        assertEquals(1, new Sampler(withBias(0.0, banAll)).sample(logits, NOTHING_GENERATED, 0));
        assertEquals(1, new Sampler(withBias(1.0, banAll)).sample(logits, NOTHING_GENERATED, 0));
    }

    @Test
    void negativeInfinityLogitsAreNeverDrawn() {
        float[] logits = {Float.NEGATIVE_INFINITY, 0f, Float.NEGATIVE_INFINITY, 0f};

        int[] counts = drawCounts(new Sampler(params(1.0, 1.0, 0, 0.0)), logits, 2000);

        assertEquals(Set.of(1, 3), drawnIds(counts));
    }

    @Test
    void frequencyPenaltyGrowsWithTheCount() {
        float[] logits = {5.0f, 4.5f, 0f};
        Sampler sampler = new Sampler(withPenalties(0.0, 0.2));

        // Token 0 generated twice: 5.0 - 0.2 * 2 = 4.6 still beats 4.5.
        assertEquals(0, sampler.sample(logits, new int[] {0, 2, 0}, 3));
        // Three times: 5.0 - 0.2 * 3 = 4.4 loses to 4.5.
        assertEquals(1, sampler.sample(logits, new int[] {0, 2, 0, 0}, 4));
    }

    @Test
    void presencePenaltyIsAppliedOnceWhateverTheCount() {
        float[] logits = {5.0f, 4.5f, 4.2f};
        Sampler sampler = new Sampler(withPenalties(0.6, 0.0));

        // Token 0: 5.0 - 0.6 = 4.4 loses to 4.5; token 1 is absent from the generated tokens.
        assertEquals(1, sampler.sample(logits, new int[] {0}, 1));
        // Many occurrences of token 0 cost no more than one; token 1 (4.5 - 0.6 = 3.9) now loses too.
        assertEquals(0, sampler.sample(logits, new int[] {0, 0, 0, 0, 1}, 5));
    }

    @Test
    void penaltiesReadOnlyTheFirstGeneratedCountTokens() {
        float[] logits = {5.0f, 4.5f};
        Sampler sampler = new Sampler(withPenalties(1.0, 0.0));

        // Only token 0 counts (5.0 - 1 = 4.0 < 4.5); the 1s after the count are not generated yet.
        assertEquals(1, sampler.sample(logits, new int[] {0, 1, 1}, 1));
        // Both count now: 4.0 beats 4.5 - 1 = 3.5.
        assertEquals(0, sampler.sample(logits, new int[] {0, 1, 1}, 2));
    }

    @Test
    void theSameSeedGivesTheSameTokens() {
        SamplingParams seeded = new SamplingParams(0.9, 0.95, 50, 0.01, 0.3, 0.2, Map.of(3, -2.0), 1234L);
        Random logitSource = new Random(5);
        float[][] steps = new float[40][1000];
        for (float[] logits : steps) {
            for (int id = 0; id < logits.length; id++) {
                logits[id] = (float) logitSource.nextGaussian() * 3f;
            }
        }

        int[] first = generate(new Sampler(seeded), steps);
        int[] second = generate(new Sampler(seeded), steps);

        assertArrayEquals(first, second);
    }

    /** Samples one token per step, feeding the tokens generated so far back for the penalties. */
    private static int[] generate(Sampler sampler, float[][] steps) {
        int[] generated = new int[steps.length];
        for (int step = 0; step < steps.length; step++) {
            generated[step] = sampler.sample(steps[step], generated, step);
        }
        return generated;
    }

    @Test
    void drawsFollowTheSoftmaxOfLogitsOverTemperature() {
        float[] logits = {2.0f, 1.0f, 0.5f, -1.0f};
        double temperature = 0.7;
        double[] expected = new double[logits.length];
        double total = 0.0;
        for (int id = 0; id < logits.length; id++) {
            expected[id] = Math.exp(logits[id] / temperature);
            total += expected[id];
        }
        for (int id = 0; id < logits.length; id++) {
            expected[id] /= total;
        }
        int draws = 200_000;

        int[] counts = drawCounts(new Sampler(params(temperature, 1.0, 0, 0.0)), logits, draws);

        assertFrequencies(expected, counts, draws);
    }

    @Test
    void topKKeepsExactlyTheKMostLikelyAndRenormalizes() {
        float[] logits = logitsOf(0.1, 0.4, 0.05, 0.3, 0.15);
        int draws = 100_000;

        int[] counts = drawCounts(new Sampler(params(1.0, 1.0, 2, 0.0)), logits, draws);

        assertFrequencies(new double[] {0, 0.4 / 0.7, 0, 0.3 / 0.7, 0}, counts, draws);
    }

    @Test
    void topKBreaksTiesByLowerId() {
        float[] logits = {1f, 3f, 3f, 3f};

        int[] counts = drawCounts(new Sampler(params(1.0, 1.0, 2, 0.0)), logits, 2000);

        assertEquals(Set.of(1, 2), drawnIds(counts));
    }

    @Test
    void topPKeepsTheSmallestNucleusReachingPBeforeTemperature() {
        float[] logits = logitsOf(0.15, 0.5, 0.05, 0.3);
        int draws = 100_000;

        // 0.5 < 0.75 <= 0.5 + 0.3: tokens 1 and 3. Top-p reads the untempered probabilities, so a high
        // temperature flattens the draw between them but lets no other token in.
        int[] counts = drawCounts(new Sampler(params(5.0, 0.75, 0, 0.0)), logits, draws);

        double weight1 = Math.pow(0.5, 1 / 5.0);
        double weight3 = Math.pow(0.3, 1 / 5.0);
        assertFrequencies(new double[] {0, weight1 / (weight1 + weight3), 0, weight3 / (weight1 + weight3)},
                counts, draws);
    }

    @Test
    void minPDropsTokensBelowMinPTimesTheMaxProbability() {
        float[] logits = logitsOf(0.05, 0.5, 0.3, 0.15);
        int draws = 100_000;

        // Threshold 0.25 * 0.5 = 0.125: token 0 (0.05) goes, token 3 (0.15) stays.
        int[] counts = drawCounts(new Sampler(params(1.0, 1.0, 0, 0.25)), logits, draws);

        assertFrequencies(new double[] {0, 0.5 / 0.95, 0.3 / 0.95, 0.15 / 0.95}, counts, draws);
    }

    @Test
    void topPReadsTheProbabilitiesRenormalizedByTopK() {
        float[] logits = logitsOf(0.4, 0.3, 0.2, 0.1);

        // After top-k 2 the probabilities are 0.571 and 0.429, so top-p 0.5 keeps token 0 alone.
        // Top-p first would have kept tokens 0 and 1 (0.4 < 0.5 <= 0.7).
        int[] counts = drawCounts(new Sampler(params(1.0, 0.5, 2, 0.0)), logits, 2000);

        assertEquals(Set.of(0), drawnIds(counts));
    }

    @Test
    void minPComesAfterTopP() {
        float[] logits = logitsOf(0.4, 0.3, 0.2, 0.1);

        // Top-p 0.75 keeps tokens 0 to 2 (0.7 < 0.75 <= 0.9); min-p 0.3 (threshold 0.12) keeps all
        // three. Min-p first would have dropped token 3 and renormalized, and top-p would then have
        // stopped at token 1 (0.444 + 0.333 >= 0.75).
        int[] counts = drawCounts(new Sampler(params(1.0, 0.75, 0, 0.3)), logits, 4000);

        assertEquals(Set.of(0, 1, 2), drawnIds(counts));
    }

    @Test
    void topKSelectsTheTrueTopOfALargeVocabulary() {
        int vocabularySize = 32_000;
        int topK = 40;
        float[] logits = new float[vocabularySize];
        Random logitSource = new Random(11);
        for (int id = 0; id < vocabularySize; id++) {
            logits[id] = (float) logitSource.nextGaussian() * 2f;
        }
        Set<Integer> expectedTop = IntStream.range(0, vocabularySize).boxed()
                .sorted((a, b) -> Float.compare(logits[b], logits[a]))
                .limit(topK).collect(Collectors.toCollection(TreeSet::new));

        // A high temperature flattens the draw so every one of the top 40 comes up.
        int[] counts = drawCounts(new Sampler(params(50.0, 1.0, topK, 0.0)), logits, 4000);

        assertEquals(expectedTop, drawnIds(counts));
    }

    @Test
    void topKOrdersNegativeLogitsAndTiesByLowerIdOnALargeVocabulary() {
        // 34 tokens at -0.25 (ids 17, 317, ..., 9917) and the rest tied at -1.0: top-k 50 keeps the 34
        // and the 16 lowest ids of the tie.
        int vocabularySize = 10_000;
        float[] logits = new float[vocabularySize];
        Set<Integer> expectedTop = new TreeSet<>();
        for (int id = 0; id < vocabularySize; id++) {
            logits[id] = id % 300 == 17 ? -0.25f : -1.0f;
            if (id % 300 == 17 || id < 16) {
                expectedTop.add(id);
            }
        }

        int[] counts = drawCounts(new Sampler(params(1.0, 1.0, 50, 0.0)), logits, 4000);

        assertEquals(expectedTop, drawnIds(counts));
    }

    @Test
    void topPOnALargeVocabularyKeepsExactlyTheNucleus() {
        // 200 tokens at logit 10, spread over the ids, and 4,800 at logit 0. The nucleus needs
        // m * e^10 >= 0.9 * (200 * e^10 + 4800), that is m >= 180.2: the 181 lowest ids among the
        // logit-10 tokens, more than the first chunk that top-p sorts.
        int vocabularySize = 5000;
        float[] logits = new float[vocabularySize];
        Set<Integer> expectedNucleus = new TreeSet<>();
        for (int i = 0; i < 200; i++) {
            int id = 25 * i + 7;
            logits[id] = 10f;
            if (i < 181) {
                expectedNucleus.add(id);
            }
        }

        int[] counts = drawCounts(new Sampler(params(1.0, 0.9, 0, 0.0)), logits, 20_000);

        assertEquals(expectedNucleus, drawnIds(counts));
    }

    @Test
    void worksAfterTheVocabularySizeChanges() {
        Sampler sampler = new Sampler(params(1.0, 1.0, 0, 0.0));

        assertTrue(sampler.sample(new float[] {0f, 0f, 0f}, NOTHING_GENERATED, 0) < 3);
        assertEquals(4, sampler.sample(new float[] {-50f, -50f, -50f, -50f, 50f}, NOTHING_GENERATED, 0));
    }
}
