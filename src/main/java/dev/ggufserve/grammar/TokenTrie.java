package dev.ggufserve.grammar;

import dev.ggufserve.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;

/**
 * The vocabulary's token byte strings as a trie laid out in preorder, so that the tokens allowed in a
 * {@link MatchState} are found by one pass over the arrays: a node whose byte the state rejects is skipped with
 * its whole subtree, so shared prefixes are matched once and dead branches cost nothing. Built once per model;
 * immutable and shared by all requests.
 */
public final class TokenTrie {

    private final int vocabularySize;
    /** Per node, in preorder: the byte on the edge into it, its depth (1 for children of the root), ... */
    private final byte[] label;
    private final int[] depth;
    /** ... the index just past its subtree, ... */
    private final int[] subtreeEnd;
    /** ... and the tokens whose bytes end exactly there: {@code tokenIds[tokenStart[n] .. tokenStart[n + 1])}. */
    private final int[] tokenStart;
    private final int[] tokenIds;
    private final int maxDepth;
    /** Tokens that end generation (EOS, end of turn); allowed only where the output is complete. */
    private final int[] endOfGeneration;
    /** The bytes of each token id (empty for tokens never allowed in text). */
    private final byte[][] tokenBytes;

    private TokenTrie(byte[][] tokenBytes, int vocabularySize, byte[] label, int[] depth, int[] subtreeEnd, int[] tokenStart,
                      int[] tokenIds, int maxDepth, int[] endOfGeneration) {
        this.tokenBytes = tokenBytes;
        this.vocabularySize = vocabularySize;
        this.label = label;
        this.depth = depth;
        this.subtreeEnd = subtreeEnd;
        this.tokenStart = tokenStart;
        this.tokenIds = tokenIds;
        this.maxDepth = maxDepth;
        this.endOfGeneration = endOfGeneration;
    }

    /** The trie of a tokenizer's vocabulary; tokens without bytes (control tokens) are never allowed in text. */
    public static TokenTrie of(Tokenizer tokenizer) {
        int size = tokenizer.vocabularySize();
        byte[][] bytes = new byte[size][];
        List<Integer> endOfGeneration = new ArrayList<>();
        for (int id = 0; id < size; id++) {
            bytes[id] = tokenizer.tokenBytes(id);
            if (tokenizer.isEndOfGeneration(id)) {
                endOfGeneration.add(id);
                bytes[id] = new byte[0];
            }
        }
        return of(bytes, endOfGeneration.stream().mapToInt(Integer::intValue).toArray());
    }

    /** @param tokenBytes the bytes of each token id; empty for tokens never allowed in text */
    public static TokenTrie of(byte[][] tokenBytes, int[] endOfGeneration) {
        Integer[] order = new Integer[tokenBytes.length];
        int textTokens = 0;
        for (int id = 0; id < tokenBytes.length; id++) {
            if (tokenBytes[id].length > 0) {
                order[textTokens++] = id;
            }
        }
        Integer[] sorted = Arrays.copyOf(order, textTokens);
        Arrays.sort(sorted, Comparator.comparing((Integer id) -> tokenBytes[id], Arrays::compareUnsigned)
                .thenComparingInt(id -> id));

        var labels = new ByteList();
        var depths = new IntList();
        var ends = new IntList();
        var starts = new IntList();
        var ids = new IntList();
        int[] path = new int[1];
        byte[] previous = new byte[0];
        int maxDepth = 0;
        for (int id : sorted) {
            byte[] current = tokenBytes[id];
            int common = Arrays.mismatch(previous, current);
            common = common < 0 ? current.length : common;
            for (int d = previous.length; d > common; d--) {
                ends.set(path[d], labels.size());
            }
            if (path.length <= current.length) {
                path = Arrays.copyOf(path, current.length * 2 + 1);
            }
            for (int d = common + 1; d <= current.length; d++) {
                path[d] = labels.size();
                labels.add(current[d - 1]);
                depths.add(d);
                ends.add(-1);
                starts.add(ids.size());
            }
            ids.add(id);
            maxDepth = Math.max(maxDepth, current.length);
            previous = current;
        }
        for (int d = previous.length; d > 0; d--) {
            ends.set(path[d], labels.size());
        }
        starts.add(ids.size());
        return new TokenTrie(tokenBytes.clone(), tokenBytes.length, labels.toArray(), depths.toArray(), ends.toArray(), starts.toArray(),
                ids.toArray(), maxDepth, endOfGeneration.clone());
    }

    public int vocabularySize() {
        return vocabularySize;
    }

    /** Trie nodes, one per distinct token prefix. */
    public int nodeCount() {
        return label.length;
    }

    /**
     * Sets in {@code allowed} (cleared first) every token whose bytes {@code state} accepts, and the
     * end-of-generation tokens when {@code state} is complete.
     *
     * @return how many tokens are allowed
     */
    public int allowedTokens(MatchState state, BitSet allowed) {
        allowed.clear();
        MatchState[] statesByDepth = new MatchState[maxDepth + 1];
        statesByDepth[0] = state;
        int node = 0;
        int count = 0;
        while (node < label.length) {
            MatchState next = statesByDepth[depth[node] - 1].advance(label[node]);
            if (next == null) {
                node = subtreeEnd[node];
                continue;
            }
            statesByDepth[depth[node]] = next;
            for (int i = tokenStart[node]; i < tokenStart[node + 1]; i++) {
                allowed.set(tokenIds[i]);
                count++;
            }
            node++;
        }
        if (state.accepting()) {
            for (int id : endOfGeneration) {
                allowed.set(id);
                count++;
            }
        }
        return count;
    }

    byte[] bytesOf(int id) {
        return tokenBytes[id];
    }

    boolean endsGeneration(int id) {
        for (int end : endOfGeneration) {
            if (end == id) {
                return true;
            }
        }
        return false;
    }

    private static final class IntList {
        private int[] values = new int[1024];
        private int size;

        void add(int value) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = value;
        }

        void set(int index, int value) {
            values[index] = value;
        }

        int size() {
            return size;
        }

        int[] toArray() {
            return Arrays.copyOf(values, size);
        }
    }

    private static final class ByteList {
        private byte[] values = new byte[1024];
        private int size;

        void add(byte value) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = value;
        }

        int size() {
            return size;
        }

        byte[] toArray() {
            return Arrays.copyOf(values, size);
        }
    }
}
