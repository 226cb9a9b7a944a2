package dev.ggufserve.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.function.IntConsumer;

/**
 * SentencePiece BPE as llama.cpp runs it for "llama" vocabularies: the text starts as one symbol per
 * character; the adjacent pair whose concatenation is the vocabulary entry with the highest score is
 * merged (the leftmost pair on equal scores), until no adjacent pair forms an entry. Symbols that are not
 * entries are written as byte tokens ({@code <0xXX>}).
 *
 * <p>The pairs wait in a priority queue, so a text of n characters costs O(n log n) look-ups.
 */
final class SentencePieceMerger {

    private final Map<String, Integer> idsByText;
    private final float[] scores;
    /** The token for each byte value, -1 where the vocabulary has neither a byte token nor an unknown token. */
    private final int[] byteTokenIds;

    SentencePieceMerger(Map<String, Integer> idsByText, float[] scores, int[] byteTokenIds) {
        this.idsByText = idsByText;
        this.scores = scores;
        this.byteTokenIds = byteTokenIds;
    }

    /** A candidate merge of the symbols at {@code left} and {@code right}, {@code length} chars in all. */
    private record Pair(int left, int right, float score, int length) {
    }

    /** Highest score first; on equal scores the leftmost pair. */
    private static final Comparator<Pair> MERGE_ORDER = (a, b) -> {
        if (a.score() != b.score()) {
            return a.score() > b.score() ? -1 : 1;
        }
        return Integer.compare(a.left(), b.left());
    };

    /** Writes the token ids of {@code text} (whitespace already escaped as "▁") to {@code output}. */
    void encode(String text, IntConsumer output) {
        if (text.isEmpty()) {
            return;
        }
        Symbols symbols = Symbols.ofCharacters(text);
        PriorityQueue<Pair> queue = new PriorityQueue<>(MERGE_ORDER);
        for (int i = 1; i < symbols.count; i++) {
            offerPair(text, symbols, i - 1, i, queue);
        }
        while (!queue.isEmpty()) {
            Pair pair = queue.poll();
            int left = pair.left();
            int right = pair.right();
            // The queue keeps pairs that later merges made stale: a symbol emptied into its left
            // neighbour, or one that grew, no longer matches the pair's recorded length.
            if (symbols.length[left] == 0 || symbols.length[right] == 0
                    || symbols.length[left] + symbols.length[right] != pair.length()) {
                continue;
            }
            symbols.mergeIntoLeft(left, right);
            offerPair(text, symbols, symbols.previous[left], left, queue);
            offerPair(text, symbols, left, symbols.next[left], queue);
        }
        for (int i = 0; i != -1; i = symbols.next[i]) {
            emitSymbol(text.substring(symbols.start[i], symbols.start[i] + symbols.length[i]), output);
        }
    }

    private void offerPair(String text, Symbols symbols, int left, int right, PriorityQueue<Pair> queue) {
        if (left == -1 || right == -1) {
            return;
        }
        int length = symbols.length[left] + symbols.length[right];
        Integer id = idsByText.get(text.substring(symbols.start[left], symbols.start[left] + length));
        if (id != null) {
            queue.add(new Pair(left, right, scores[id], length));
        }
    }

    /**
     * Every merged symbol is a vocabulary entry (merges only make entries), so a symbol that is not an entry
     * is a single character the vocabulary lacks: it falls back to one byte token per UTF-8 byte.
     */
    private void emitSymbol(String symbol, IntConsumer output) {
        Integer id = idsByText.get(symbol);
        if (id != null) {
            output.accept(id);
            return;
        }
        for (byte b : symbol.getBytes(StandardCharsets.UTF_8)) {
            int byteTokenId = byteTokenIds[b & 0xFF];
            if (byteTokenId < 0) {
                throw new IllegalStateException(String.format(
                        "cannot encode '%s': the vocabulary has no token for byte 0x%02X and no unknown token",
                        symbol, b & 0xFF));
            }
            output.accept(byteTokenId);
        }
    }

    /**
     * The symbols as a doubly linked list over the text: symbol i covers {@code length[i]} chars from
     * {@code start[i]}; a symbol merged into its left neighbour keeps length 0.
     */
    private static final class Symbols {
        final int count;
        final int[] start;
        final int[] length;
        final int[] previous;
        final int[] next;

        private Symbols(int count, int[] start, int[] length) {
            this.count = count;
            this.start = start;
            this.length = length;
            this.previous = new int[count];
            this.next = new int[count];
            for (int i = 0; i < count; i++) {
                previous[i] = i - 1;
                next[i] = i + 1 < count ? i + 1 : -1;
            }
        }

        /** One symbol per Unicode character (a surrogate pair stays together). */
        static Symbols ofCharacters(String text) {
            int count = text.codePointCount(0, text.length());
            int[] start = new int[count];
            int[] length = new int[count];
            int offset = 0;
            for (int i = 0; i < count; i++) {
                start[i] = offset;
                length[i] = Character.charCount(text.codePointAt(offset));
                offset += length[i];
            }
            return new Symbols(count, start, length);
        }

        void mergeIntoLeft(int left, int right) {
            length[left] += length[right];
            length[right] = 0;
            next[left] = next[right];
            if (next[right] != -1) {
                previous[next[right]] = left;
            }
        }
    }
}
