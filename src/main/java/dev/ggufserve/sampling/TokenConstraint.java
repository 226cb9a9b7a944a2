package dev.ggufserve.sampling;

/**
 * Restricts which tokens may come next (structured outputs: JSON schemas, tool calls). The generator asks for
 * the masked logits before each sample and reports each sampled token back; one instance serves one generation.
 */
public interface TokenConstraint {

    /**
     * The logits with every token that may not come next set to -inf; {@code logits} itself is not modified (it
     * may be returned as is when every token is allowed). End-of-generation tokens stay allowed only where the
     * output is complete.
     *
     * @throws IllegalStateException when no token of the vocabulary can continue the output
     */
    float[] mask(float[] logits);

    /** Moves past {@code token}, which must be one that {@link #mask} allowed. */
    void accept(int token);

    /** Whether the output is complete and nothing may follow it, so generation can stop without an end token. */
    boolean complete();
}
