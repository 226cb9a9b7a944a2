package dev.ggufserve.engine;

/**
 * One sequence's part of a batched step: run {@code tokens} at positions {@code startPosition ...} of the sequence
 * whose KV lives in the pages of {@code pageTable}.
 *
 * @param sequenceId    names the sequence for its whole life (until {@link StepExecutor#release}); the entries of
 *                      one step name different sequences
 * @param pageTable     the pool pages holding the sequence's positions in order: page {@code i} holds positions
 *                      {@code [i * pagePositions, (i + 1) * pagePositions)}; it covers at least
 *                      {@code startPosition + tokens.length} positions. Pages holding positions before
 *                      {@code startPosition} are read (they may be shared with other sequences through the prefix
 *                      cache); the new tokens' keys and values are written into pages no other sequence reads
 * @param startPosition the position of {@code tokens[0]}; the positions before it are already in the pages
 * @param tokens        at least one token id
 * @param logits        receives the logits after the last of {@code tokens} (vocabulary size)
 * @param everyPosition when not null, also receives the logits after every token of {@code tokens} (prompt
 *                      log-probabilities); null lets the engine skip the output head for all but the last token
 */
public record StepEntry(long sequenceId, int[] pageTable, int startPosition, int[] tokens, float[] logits,
                        Sequence.LogitsListener everyPosition) {
}
