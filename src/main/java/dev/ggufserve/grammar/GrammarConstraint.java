package dev.ggufserve.grammar;

import dev.ggufserve.sampling.TokenConstraint;

import java.util.Arrays;
import java.util.BitSet;

/**
 * Constrains one generation to a grammar: before each token, every token whose bytes cannot continue a match is
 * masked to -inf (found by walking the {@link TokenTrie} with the {@link MatchState}); after it, the state moves
 * past the sampled token's bytes.
 */
public final class GrammarConstraint implements TokenConstraint {

    private final TokenTrie trie;
    private final BitSet allowed;
    private MatchState state;
    private float[] masked = new float[0];

    public GrammarConstraint(GrammarNode grammar, TokenTrie trie) {
        this.trie = trie;
        this.allowed = new BitSet(trie.vocabularySize());
        this.state = MatchState.start(grammar);
    }

    @Override
    public float[] mask(float[] logits) {
        if (state.unconstrained()) {
            return logits;
        }
        if (trie.allowedTokens(state, allowed) == 0) {
            throw new IllegalStateException("No token of the model's vocabulary can continue the structured output.");
        }
        if (masked.length != logits.length) {
            masked = new float[logits.length];
        }
        Arrays.fill(masked, Float.NEGATIVE_INFINITY);
        for (int id = allowed.nextSetBit(0); id >= 0 && id < logits.length; id = allowed.nextSetBit(id + 1)) {
            masked[id] = logits[id];
        }
        return masked;
    }

    @Override
    public void accept(int token) {
        if (trie.endsGeneration(token)) {
            return;
        }
        MatchState next = state.unconstrained() ? state : state.advance(trie.bytesOf(token));
        if (next == null) {
            throw new IllegalStateException("token " + token + " does not continue the structured output");
        }
        state = next;
    }

    @Override
    public boolean complete() {
        return state.finished();
    }

    /**
     * Moves past text already written (a benchmark or test placing the constraint mid-reply).
     *
     * @throws IllegalStateException when the grammar does not allow {@code bytes} here
     */
    public void acceptText(byte[] bytes) {
        MatchState next = state.advance(bytes);
        if (next == null) {
            throw new IllegalStateException("the text does not continue the structured output");
        }
        state = next;
    }

    /** Whether the output so far is a complete match. */
    public boolean accepting() {
        return state.accepting();
    }
}
