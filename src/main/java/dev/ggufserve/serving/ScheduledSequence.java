package dev.ggufserve.serving;

import java.util.ArrayList;
import java.util.List;

/**
 * A generation while it runs on a replica: its sequence id for the step executor, the pool pages holding its keys
 * and values in order, how many of its tokens those pages hold, and the buffer its logits arrive in. Dropped when
 * the generation leaves the replica (finished, failed, cancelled or preempted); a preempted generation gets a new
 * one when it is admitted again.
 */
final class ScheduledSequence {

    final Generation generation;
    final long sequenceId;
    /** Page {@code i} holds positions {@code [i * pagePositions, (i + 1) * pagePositions)}. */
    final List<Integer> pageTable;
    /** Tokens of {@link Generation#tokens()} whose keys and values are in the pages. */
    int computed;
    final float[] logits;

    ScheduledSequence(Generation generation, long sequenceId, List<Integer> cachedPrefix, int cachedTokens,
                      int vocabularySize) {
        this.generation = generation;
        this.sequenceId = sequenceId;
        this.pageTable = new ArrayList<>(cachedPrefix);
        this.computed = cachedTokens;
        this.logits = new float[vocabularySize];
    }

    int[] pageTableArray() {
        return pageTable.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Tokens still to run before the next token can be sampled. */
    int pending() {
        return generation.length() - computed;
    }
}
