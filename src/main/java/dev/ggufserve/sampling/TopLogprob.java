package dev.ggufserve.sampling;

/** One of the most likely tokens at a position, with its natural-log probability. */
public record TopLogprob(int tokenId, float logprob) {
}
