package dev.ggufserve.serving;

import dev.ggufserve.engine.Sequence;

import java.util.Arrays;

/**
 * One sequence of KV state that serves one request at a time, remembering which tokens it holds so
 * the next request can keep the prefix it shares with the previous one.
 */
public final class Replica implements AutoCloseable {

    private final Sequence sequence;
    /** The tokens whose KV entries the sequence holds, in order; only the first {@code sequence.length()} count. */
    private int[] heldTokens;

    public Replica(Sequence sequence) {
        this.sequence = sequence;
        this.heldTokens = new int[sequence.capacity()];
    }

    public int capacity() {
        return sequence.capacity();
    }

    public int length() {
        return sequence.length();
    }

    /**
     * Makes the sequence hold exactly {@code prompt} and returns the logits that follow it. Reuses the
     * KV of the longest prefix shared with what the sequence holds, but always runs at least the last
     * prompt token, since the logits after it are needed.
     *
     * @param everyPosition when not null, every prompt position is run (no reuse) and reported to it
     */
    public float[] loadPrompt(int[] prompt, Sequence.LogitsListener everyPosition) {
        int keep = everyPosition == null ? Math.min(sharedPrefixLength(prompt), prompt.length - 1) : 0;
        sequence.truncate(keep);
        return append(Arrays.copyOfRange(prompt, keep, prompt.length), everyPosition);
    }

    /** Appends one generated token and returns the logits that follow it. */
    public float[] appendToken(int token) {
        return append(new int[] {token}, null);
    }

    /** Forgets everything, for when a failure may have left the KV state half written. */
    public void reset() {
        sequence.truncate(0);
    }

    private float[] append(int[] tokens, Sequence.LogitsListener everyPosition) {
        int start = sequence.length();
        float[] logits = sequence.append(tokens, everyPosition);
        System.arraycopy(tokens, 0, heldTokens, start, tokens.length);
        return logits;
    }

    private int sharedPrefixLength(int[] prompt) {
        int limit = Math.min(prompt.length, sequence.length());
        int shared = 0;
        while (shared < limit && heldTokens[shared] == prompt[shared]) {
            shared++;
        }
        return shared;
    }

    @Override
    public void close() {
        sequence.close();
    }
}
