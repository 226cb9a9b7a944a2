package dev.ggufserve.tokenizer;

import java.util.Map;
import java.util.PriorityQueue;
import java.util.function.IntConsumer;

/**
 * Byte-level BPE: the merges of a word written in {@link ByteLevelAlphabet}, lowest rank first (the leftmost
 * pair among equal ranks), as llama.cpp's {@code llm_tokenizer_bpe_session} merges them.
 */
final class BytePairMerger {

    /** A candidate merge of the symbols at {@code left} and {@code right}, valid while they still hold {@code text}. */
    private record Bigram(int left, int right, String text, int rank) {
    }

    private final Map<String, Integer> idsByText;
    /** Merge ranks by "left right", the way {@code tokenizer.ggml.merges} writes them. */
    private final Map<String, Integer> ranksByPair;
    private final boolean ignoreMerges;

    BytePairMerger(Map<String, Integer> idsByText, Map<String, Integer> ranksByPair, boolean ignoreMerges) {
        this.idsByText = idsByText;
        this.ranksByPair = ranksByPair;
        this.ignoreMerges = ignoreMerges;
    }

    /** Emits the token ids of one pre-tokenized word (already in the byte-level alphabet). */
    void encode(String word, IntConsumer ids) {
        if (word.isEmpty()) {
            return;
        }
        Integer wholeWord = ignoreMerges ? idsByText.get(word) : null;
        if (wholeWord != null) {
            ids.accept(wholeWord);
            return;
        }
        // Symbols as a linked list over the word's characters: start offset, length, neighbours.
        int count = word.length();
        int[] start = new int[count];
        int[] length = new int[count];
        int[] previous = new int[count];
        int[] next = new int[count];
        for (int i = 0; i < count; i++) {
            start[i] = i;
            length[i] = 1;
            previous[i] = i - 1;
            next[i] = i + 1 < count ? i + 1 : -1;
        }
        PriorityQueue<Bigram> queue = new PriorityQueue<>((a, b) -> a.rank() != b.rank()
                ? Integer.compare(a.rank(), b.rank()) : Integer.compare(a.left(), b.left()));
        for (int i = 1; i < count; i++) {
            offer(queue, word, start, length, i - 1, i);
        }
        while (!queue.isEmpty()) {
            Bigram bigram = queue.poll();
            int left = bigram.left();
            int right = bigram.right();
            // Symbols only grow to the right, so a bigram still holds its text while both symbols are
            // neighbours of the lengths it was made from.
            if (length[left] == 0 || length[right] == 0 || next[left] != right
                    || length[left] + length[right] != bigram.text().length()) {
                continue; // an earlier merge changed one of its symbols
            }
            length[left] += length[right];
            length[right] = 0;
            next[left] = next[right];
            if (next[right] >= 0) {
                previous[next[right]] = left;
            }
            offer(queue, word, start, length, previous[left], left);
            offer(queue, word, start, length, left, next[left]);
        }
        for (int i = 0; i >= 0; i = next[i]) {
            String symbol = word.substring(start[i], start[i] + length[i]);
            Integer id = idsByText.get(symbol);
            if (id != null) {
                ids.accept(id);
            } else {
                // Not in the vocabulary: one token per byte character, skipping any the vocabulary lacks.
                for (int c = 0; c < symbol.length(); c++) {
                    Integer byteId = idsByText.get(String.valueOf(symbol.charAt(c)));
                    if (byteId != null) {
                        ids.accept(byteId);
                    }
                }
            }
        }
    }

    private void offer(PriorityQueue<Bigram> queue, String word, int[] start, int[] length, int left, int right) {
        if (left < 0 || right < 0) {
            return;
        }
        String leftText = word.substring(start[left], start[left] + length[left]);
        String rightText = word.substring(start[right], start[right] + length[right]);
        Integer rank = ranksByPair.get(leftText + " " + rightText);
        if (rank != null) {
            queue.add(new Bigram(left, right, leftText + rightText, rank));
        }
    }
}
