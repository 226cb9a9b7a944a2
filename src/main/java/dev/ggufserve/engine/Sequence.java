package dev.ggufserve.engine;

/**
 * The KV state of one token sequence on one engine. Tokens are appended in order; the logits of a
 * position are the model's scores for the token that follows it.
 */
public interface Sequence extends AutoCloseable {

    /** Called with the logits after each appended token; the array is reused between calls. */
    @FunctionalInterface
    interface LogitsListener {
        void accept(int indexInAppendedTokens, float[] logits);
    }

    /** Number of tokens held. */
    int length();

    /** Maximum number of tokens this sequence can hold. */
    int capacity();

    /**
     * Runs {@code tokens} through the model after the tokens already held and returns the logits that
     * follow the last of them (an array owned by the sequence, overwritten by the next call).
     *
     * @param everyPosition when not null, also receives the logits after every appended token (for
     *                      prompt log-probabilities); null lets the engine skip the output head for all
     *                      but the last token
     * @throws IllegalArgumentException when the tokens do not fit or an id is outside the vocabulary
     */
    float[] append(int[] tokens, LogitsListener everyPosition);

    /** Forgets every token from position {@code length} on, so a shared prompt prefix can be kept. */
    void truncate(int length);

    @Override
    void close();
}
