package dev.ggufserve.sampling;

import java.util.Arrays;
import java.util.Map;
import java.util.random.RandomGenerator;
import java.util.random.RandomGeneratorFactory;

/**
 * Picks the next token of one request from the model's logits. Applies, in the order of llama.cpp's
 * default chain: logit bias, presence and frequency penalties, then either argmax (temperature 0) or
 * top-k, top-p, min-p, temperature and a random draw.
 *
 * <p>One sampler serves one request and is used by one thread at a time: it owns scratch buffers sized
 * to the vocabulary, reused for every token so that sampling allocates nothing after the first call.
 */
public final class Sampler {

    /**
     * A bias at or below this bans the token outright. OpenAI documents -100 as a ban; adding -100 to
     * a logit is not enough on its own when the logit is very large, so the ban is made exact.
     */
    private static final double BAN_BIAS = -100.0;

    /**
     * How many candidates top-p sorts first when top-k has not already sorted them; it doubles that
     * number only while the kept mass is still short of top-p, so a peaked distribution sorts a few
     * dozen tokens instead of the whole vocabulary.
     */
    private static final int FIRST_TOP_P_CHUNK = 64;

    /** A fixed algorithm, so that a seed gives the same tokens on every JDK. */
    private static final String RANDOM_ALGORITHM = "L64X128MixRandom";

    private final SamplingParams params;
    private final RandomGenerator random;
    /** The logit bias as parallel arrays, so applying it per token neither boxes nor iterates a map. */
    private final int[] biasTokenIds;
    private final double[] biasValues;

    /** The logits after bias and penalties; {@code sample} never writes to its caller's array. */
    private float[] adjustedLogits = new float[0];
    /**
     * The tokens still in the running, each encoded by {@link #candidateKey} so that ascending order
     * of the keys is descending logit, ties by lower id. Only the first {@code count} entries are used.
     */
    private long[] candidateKeys = new long[0];
    /** Unnormalized probabilities of the candidates for the final draw, index for index. */
    private double[] drawWeights = new double[0];
    /** Per token id, how often it occurs among the generated tokens; all zero between calls. */
    private int[] occurrences = new int[0];

    public Sampler(SamplingParams params) {
        this.params = params;
        RandomGeneratorFactory<RandomGenerator> factory = RandomGeneratorFactory.of(RANDOM_ALGORITHM);
        this.random = params.seed() == null ? factory.create() : factory.create(params.seed());
        this.biasTokenIds = new int[params.logitBias().size()];
        this.biasValues = new double[params.logitBias().size()];
        int index = 0;
        for (Map.Entry<Integer, Double> bias : params.logitBias().entrySet()) {
            biasTokenIds[index] = bias.getKey();
            biasValues[index] = bias.getValue();
            index++;
        }
    }

    /**
     * Picks the next token. Does not modify {@code logits}.
     *
     * @param logits         the model's scores for the next token, one per vocabulary entry
     * @param generated      the tokens generated so far for this request (not the prompt); only the
     *                       first {@code generatedCount} entries are read
     * @param generatedCount how many entries of {@code generated} are valid
     * @return a token id in {@code [0, logits.length)}; a banned token only when every token is banned
     * @throws ArrayIndexOutOfBoundsException when a logit-bias or generated id is outside the
     *                                        vocabulary (the API layer rejects such requests first)
     */
    public int sample(float[] logits, int[] generated, int generatedCount) {
        ensureCapacity(logits.length);
        System.arraycopy(logits, 0, adjustedLogits, 0, logits.length);
        applyLogitBias();
        applyPenalties(generated, generatedCount);

        if (params.temperature() <= 0.0) {
            int best = argmax(adjustedLogits, logits.length);
            return adjustedLogits[best] == Float.NEGATIVE_INFINITY ? argmax(logits, logits.length) : best;
        }
        int count = collectCandidates(logits.length);
        if (count == 0) {
            // Everything is banned or -inf: no draw is possible, so fall back to the model's own pick.
            return argmax(logits, logits.length);
        }
        int sortedCount = 0;
        if (params.topK() > 0 && params.topK() < count) {
            selectSmallest(candidateKeys, 0, count, params.topK());
            Arrays.sort(candidateKeys, 0, params.topK());
            count = params.topK();
            sortedCount = count;
        }
        if (params.topP() < 1.0) {
            count = applyTopP(count, sortedCount);
        }
        if (params.minP() > 0.0) {
            count = applyMinP(count);
        }
        return draw(count);
    }

    private void ensureCapacity(int vocabularySize) {
        if (adjustedLogits.length != vocabularySize) {
            adjustedLogits = new float[vocabularySize];
            candidateKeys = new long[vocabularySize];
            drawWeights = new double[vocabularySize];
            occurrences = new int[vocabularySize];
        }
    }

    private void applyLogitBias() {
        for (int i = 0; i < biasTokenIds.length; i++) {
            int tokenId = biasTokenIds[i];
            if (biasValues[i] <= BAN_BIAS) {
                adjustedLogits[tokenId] = Float.NEGATIVE_INFINITY;
            } else {
                adjustedLogits[tokenId] += (float) biasValues[i];
            }
        }
    }

    /** OpenAI's formula: logit -= frequencyPenalty * count + presencePenalty * (count > 0 ? 1 : 0). */
    private void applyPenalties(int[] generated, int generatedCount) {
        if (params.presencePenalty() == 0.0 && params.frequencyPenalty() == 0.0) {
            return;
        }
        for (int i = 0; i < generatedCount; i++) {
            occurrences[generated[i]]++;
        }
        // Visit the generated tokens again, penalizing each distinct one once and resetting its
        // count, so the work is proportional to the generated length rather than the vocabulary.
        for (int i = 0; i < generatedCount; i++) {
            int tokenId = generated[i];
            int count = occurrences[tokenId];
            if (count > 0) {
                adjustedLogits[tokenId] -= (float) (params.frequencyPenalty() * count + params.presencePenalty());
                occurrences[tokenId] = 0;
            }
        }
    }

    /** Index of the highest value among the first {@code length}; ties go to the lowest index. */
    private static int argmax(float[] values, int length) {
        int best = 0;
        for (int i = 1; i < length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }

    /** Fills {@link #candidateKeys} with every token whose adjusted logit is not -inf (banned). */
    private int collectCandidates(int vocabularySize) {
        int count = 0;
        for (int id = 0; id < vocabularySize; id++) {
            float logit = adjustedLogits[id];
            if (logit != Float.NEGATIVE_INFINITY) {
                candidateKeys[count++] = candidateKey(logit, id);
            }
        }
        return count;
    }

    /**
     * Packs a logit and its token id into one long whose ascending order is descending logit, then
     * ascending id. This lets the candidates be sorted and selected as primitive longs (no boxing, no
     * comparator) and makes every order deterministic, which a seeded request needs.
     */
    private static long candidateKey(float logit, int tokenId) {
        // Adding 0.0f turns -0.0 into 0.0, so the two compare as equal like they do as floats.
        int bits = Float.floatToRawIntBits(logit + 0.0f);
        // Negative floats order backwards as raw bits; flipping their magnitude bits makes the int
        // order match the float order. The complement then reverses it to put high logits first.
        int ascendingLogit = bits >= 0 ? bits : bits ^ 0x7fffffff;
        return ((long) ~ascendingLogit << 32) | tokenId;
    }

    private static int tokenIdOf(long candidateKey) {
        return (int) candidateKey;
    }

    private float logitOf(long candidateKey) {
        return adjustedLogits[tokenIdOf(candidateKey)];
    }

    /**
     * Keeps the smallest set of most likely candidates whose probability (softmax of the logits, before
     * temperature, as in llama.cpp) reaches {@code topP}. Sorts only as many candidates as it reaches.
     *
     * @param sortedCount how many leading candidates are already in key order
     */
    private int applyTopP(int count, int sortedCount) {
        double maxLogit = maxCandidateLogit(count);
        double totalWeight = 0.0;
        for (int i = 0; i < count; i++) {
            totalWeight += Math.exp(logitOf(candidateKeys[i]) - maxLogit);
        }
        double targetWeight = params.topP() * totalWeight;
        double keptWeight = 0.0;
        int kept = 0;
        while (kept < count) {
            if (kept == sortedCount) {
                int chunkEnd = Math.min(count, Math.max(FIRST_TOP_P_CHUNK, sortedCount * 2));
                selectSmallest(candidateKeys, sortedCount, count, chunkEnd);
                Arrays.sort(candidateKeys, sortedCount, chunkEnd);
                sortedCount = chunkEnd;
            }
            keptWeight += Math.exp(logitOf(candidateKeys[kept]) - maxLogit);
            kept++;
            if (keptWeight >= targetWeight) {
                break;
            }
        }
        return kept;
    }

    /**
     * Keeps the candidates whose probability is at least {@code minP} times the highest one's. Works on
     * the candidates in any order and keeps their order, so it needs no sort.
     */
    private int applyMinP(int count) {
        double maxLogit = maxCandidateLogit(count);
        int kept = 0;
        for (int i = 0; i < count; i++) {
            long key = candidateKeys[i];
            // prob / maxProb == exp(logit - maxLogit), whatever the softmax's normalizer is.
            if (Math.exp(logitOf(key) - maxLogit) >= params.minP()) {
                candidateKeys[kept++] = key;
            }
        }
        return kept;
    }

    /** Applies the temperature, and draws one candidate in proportion to exp(logit / temperature). */
    private int draw(int count) {
        double maxLogit = maxCandidateLogit(count);
        double totalWeight = 0.0;
        for (int i = 0; i < count; i++) {
            // Subtracting the max first keeps exp from overflowing; it does not change the ratios.
            double weight = Math.exp((logitOf(candidateKeys[i]) - maxLogit) / params.temperature());
            drawWeights[i] = weight;
            totalWeight += weight;
        }
        double target = random.nextDouble() * totalWeight;
        double cumulativeWeight = 0.0;
        for (int i = 0; i < count - 1; i++) {
            cumulativeWeight += drawWeights[i];
            if (cumulativeWeight > target) {
                return tokenIdOf(candidateKeys[i]);
            }
        }
        // The last candidate takes what is left, including any rounding shortfall of the sum.
        return tokenIdOf(candidateKeys[count - 1]);
    }

    private double maxCandidateLogit(int count) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < count; i++) {
            max = Math.max(max, logitOf(candidateKeys[i]));
        }
        return max;
    }

    /**
     * Rearranges {@code keys[from, to)} so that {@code keys[from, boundary)} hold the smallest keys of
     * that range, in no particular order (quickselect: linear time on average, unlike a full sort).
     */
    private static void selectSmallest(long[] keys, int from, int to, int boundary) {
        int left = from;
        int right = to - 1;
        while (boundary < to && left < right) {
            int pivotIndex = partition(keys, left, right);
            if (pivotIndex == boundary) {
                return;
            } else if (pivotIndex < boundary) {
                left = pivotIndex + 1;
            } else {
                right = pivotIndex - 1;
            }
        }
    }

    /**
     * Partitions {@code keys[left, right]} around a pivot and returns the pivot's final index: smaller
     * keys end up before it, larger after. The pivot is the median of the first, middle and last keys,
     * which avoids quadratic time on already ordered input such as keys built in id order.
     */
    private static int partition(long[] keys, int left, int right) {
        int middle = (left + right) >>> 1;
        if (keys[middle] < keys[left]) {
            swap(keys, middle, left);
        }
        if (keys[right] < keys[left]) {
            swap(keys, right, left);
        }
        if (keys[right] < keys[middle]) {
            swap(keys, right, middle);
        }
        swap(keys, middle, right);
        long pivot = keys[right];
        int store = left;
        for (int i = left; i < right; i++) {
            if (keys[i] < pivot) {
                swap(keys, i, store++);
            }
        }
        swap(keys, store, right);
        return store;
    }

    private static void swap(long[] keys, int i, int j) {
        long held = keys[i];
        keys[i] = keys[j];
        keys[j] = held;
    }
}
