package dev.ggufserve.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ggufserve.engine.StepEntry;
import dev.ggufserve.engine.StepExecutor;
import dev.ggufserve.gguf.GgufFile;
import dev.ggufserve.testing.ModelSpec;
import dev.ggufserve.testing.RandomModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A batched step gives each entry the logits it gets running alone. An entry of several tokens runs the same
 * arithmetic in a batch as alone: matMul sums each token's lane in the same column order whatever the tile holds,
 * TileAttention's lanes run in position order whatever block a query lands in, and the KV an entry reads was written
 * by the same arithmetic. Those entries are compared at 1e-6 of the largest logit (they agree bit for bit today;
 * the margin leaves room for float kernels that order sums per tile, not for activation quantization that depends
 * on the tile: an entry's result must not depend on who shares its step). A one-token entry is the exception: alone it is a
 * one-row step, which runs matVec (single-stream decode keeps its faster path), while in a batch it is a row of a
 * matMul, whose sums run in a different order. Its own key and value can then round to neighbouring halves in the
 * F16 cache, 2^-11 apart relative; only that one token's arithmetic differs (the positions before it were written
 * alike), so the logits move by less than a tiled prefill moves against token-by-token decode (1.3e-4 of the
 * largest logit over a whole prompt, {@code TiledPrefillTest}): measured here at most 1.1e-5; checked at 1e-4.
 */
class CpuStepExecutorTest {

    private static final float SAME_ARITHMETIC = 1e-6f;
    private static final float MATVEC_AGAINST_MATMUL = 1e-4f;
    private static final int PAGES_PER_SEQUENCE = 16;
    /** The vocabulary of every model here. */
    private static final int VOCAB = 320;

    @TempDir
    static Path models;

    /** Sequence {@code id}: {@code done} tokens of {@code tokens} already run, the step runs the next {@code count}. */
    private record Part(long id, int[] tokens, int done, int count) {
        int[] prior() {
            return Arrays.copyOf(tokens, done);
        }

        int[] step() {
            return Arrays.copyOfRange(tokens, done, done + count);
        }
    }

    private static int[] prompt(int length, int seed, int vocab) {
        int[] tokens = new int[length];
        for (int i = 0; i < length; i++) {
            tokens[i] = 3 + (seed * 101 + i * 37) % (vocab - 3);
        }
        return tokens;
    }

    /** Pages of sequence {@code id} in a pool shared by several, interleaved with the others'. */
    private static int[] pagesOf(long id, int sequences) {
        int[] table = new int[PAGES_PER_SEQUENCE];
        for (int i = 0; i < table.length; i++) {
            table[i] = (int) (i * sequences + id);
        }
        return table;
    }

    private static StepEntry entry(long id, int[] pageTable, int start, int[] tokens) {
        return new StepEntry(id, pageTable, start, tokens, new float[VOCAB], null);
    }

    /**
     * Runs {@code parts} in one step of a pool shared by all, after each one's prior tokens ran alone; then each part
     * in a pool of its own, prior and step alone. Asserts every entry gets its alone logits; a multi-token entry
     * also at every position.
     */
    private static void assertBatchedEqualsAlone(CpuEngine engine, int vocab, List<Part> parts, int maxStepTokens) {
        int sequences = parts.size();
        float[][] batched = new float[sequences][vocab];
        List<List<float[]>> batchedEvery = new ArrayList<>();
        try (StepExecutor executor = engine.newStepExecutor(PAGES_PER_SEQUENCE * sequences, maxStepTokens,
                engine.trainedContextLength())) {
            for (Part part : parts) {
                if (part.done() > 0) {
                    executor.step(List.of(new StepEntry(part.id(), pagesOf(part.id(), sequences), 0, part.prior(),
                            new float[vocab], null)));
                }
            }
            List<StepEntry> entries = new ArrayList<>();
            for (int p = 0; p < sequences; p++) {
                Part part = parts.get(p);
                List<float[]> every = new ArrayList<>();
                batchedEvery.add(every);
                entries.add(new StepEntry(part.id(), pagesOf(part.id(), sequences), part.done(), part.step(),
                        batched[p], part.count() > 1 ? (index, logits) -> every.add(logits.clone()) : null));
            }
            executor.step(entries);
        }
        for (int p = 0; p < sequences; p++) {
            Part part = parts.get(p);
            float[] alone = new float[vocab];
            List<float[]> aloneEvery = new ArrayList<>();
            try (StepExecutor executor = engine.newStepExecutor(PAGES_PER_SEQUENCE, maxStepTokens,
                    engine.trainedContextLength())) {
                int[] pages = pagesOf(0, 1);
                if (part.done() > 0) {
                    executor.step(List.of(new StepEntry(7, pages, 0, part.prior(), new float[vocab], null)));
                }
                executor.step(List.of(new StepEntry(7, pages, part.done(), part.step(), alone,
                        part.count() > 1 ? (index, logits) -> aloneEvery.add(logits.clone()) : null)));
            }
            float tolerance = part.count() == 1 ? MATVEC_AGAINST_MATMUL : SAME_ARITHMETIC;
            assertClose(alone, batched[p], tolerance, "sequence " + part.id());
            assertEquals(aloneEvery.size(), batchedEvery.get(p).size());
            for (int i = 0; i < aloneEvery.size(); i++) {
                assertClose(aloneEvery.get(i), batchedEvery.get(p).get(i), tolerance,
                        "sequence " + part.id() + " token " + i);
            }
            if (!aloneEvery.isEmpty()) {
                assertArrayEquals(aloneEvery.getLast(), alone, "the last position's logits are the entry's logits");
            }
        }
    }

    private static void assertClose(float[] expected, float[] actual, float relative, String what) {
        float largest = 0;
        for (float value : expected) {
            largest = Math.max(largest, Math.abs(value));
        }
        assertTrue(largest > 0, what + ": no logits");
        for (int v = 0; v < expected.length; v++) {
            assertEquals(expected[v], actual[v], relative * largest, what + ", logit " + v);
        }
    }

    private static Path model(String name, int contextLength) {
        ModelSpec spec = RandomModels.standardModels().get(name).withContextLength(contextLength);
        return RandomModels.write(spec, models.resolve(name + "-" + contextLength + ".gguf"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"phi3-q4_k_m", "llama-q4_0", "phi3-sliding"})
    void mixedStepGivesEveryEntryItsLogitsAlone(String name) {
        int vocab = VOCAB;
        try (GgufFile gguf = GgufFile.open(model(name, 128)); CpuEngine engine = CpuEngine.load(gguf, 2)) {
            List<Part> parts = List.of(
                    new Part(0, prompt(30, 0, vocab), 0, 30),   // a first prefill chunk
                    new Part(1, prompt(6, 1, vocab), 5, 1),     // decodes, at positions within the first page,
                    new Part(2, prompt(17, 2, vocab), 16, 1),   // on a page boundary,
                    new Part(3, prompt(41, 3, vocab), 40, 1),   // and on the third page
                    new Part(4, prompt(60, 4, vocab), 19, 41),  // a later prefill chunk, starting mid-page
                    new Part(5, prompt(100, 5, vocab), 99, 1));
            assertBatchedEqualsAlone(engine, vocab, parts, 128);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"phi3-q4_k_m", "llama-q5_k"})
    void anEntrySpanningTwoTilesSeesTheKeysOfTheFirst(String name) {
        int vocab = VOCAB;
        try (GgufFile gguf = GgufFile.open(model(name, 256)); CpuEngine engine = CpuEngine.load(gguf, 2)) {
            // rows 0-2: decodes; rows 3-152: the long entry, 125 rows in the first tile and 25 in the second;
            // then a prefill chunk sharing the second tile
            List<Part> parts = List.of(
                    new Part(0, prompt(9, 0, vocab), 8, 1),
                    new Part(1, prompt(21, 1, vocab), 20, 1),
                    new Part(2, prompt(33, 2, vocab), 32, 1),
                    new Part(3, prompt(150, 3, vocab), 0, 150),
                    new Part(4, prompt(70, 4, vocab), 50, 20));
            assertBatchedEqualsAlone(engine, vocab, parts, 256);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"phi3-q4_k_m", "phi3-sliding"})
    void sequencesReadTheSamePrefixPages(String name) {
        int vocab = VOCAB;
        int[] prefix = prompt(40, 9, vocab);
        int[] first = concat(prefix, prompt(12, 1, vocab));
        int[] second = concat(prefix, prompt(5, 2, vocab));
        float[] firstShared = new float[vocab];
        float[] secondShared = new float[vocab];
        try (GgufFile gguf = GgufFile.open(model(name, 128)); CpuEngine engine = CpuEngine.load(gguf, 2)) {
            try (StepExecutor executor = engine.newStepExecutor(16, 128, engine.trainedContextLength())) {
                // the prefix fills pages 3 and 7 and half of 0; both sequences share 3 and 7 and recompute the rest
                executor.step(List.of(new StepEntry(1, new int[] {3, 7, 0}, 0, prefix, new float[vocab], null)));
                executor.release(1);
                executor.step(List.of(
                        new StepEntry(2, new int[] {3, 7, 5, 9}, 32, Arrays.copyOfRange(first, 32, first.length),
                                firstShared, null),
                        new StepEntry(3, new int[] {3, 7, 11}, 32, Arrays.copyOfRange(second, 32, second.length),
                                secondShared, null)));
            }
            assertClose(alone(engine, first), firstShared, SAME_ARITHMETIC, "first");
            assertClose(alone(engine, second), secondShared, SAME_ARITHMETIC, "second");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"phi3-q4_k_m"})
    void badEntriesAreRejectedBeforeAnyKvIsWritten(String name) {
        int vocab = VOCAB;
        int[] prompt = prompt(20, 3, vocab);
        int[] pages = {4, 1};
        try (GgufFile gguf = GgufFile.open(model(name, 128)); CpuEngine engine = CpuEngine.load(gguf, 2);
                StepExecutor executor = engine.newStepExecutor(6, 64, 6 * 16)) {
            assertTrue(executor.sharesPages());
            assertEquals(16, executor.pagePositions());
            assertEquals(6, executor.pageCount());
            executor.step(List.of(new StepEntry(1, pages, 0, Arrays.copyOf(prompt, 18), new float[vocab], null)));
            // a good entry continuing sequence 1 (positions 18, 19), beside a bad one
            StepEntry good = new StepEntry(1, pages, 18, Arrays.copyOfRange(prompt, 18, 20), new float[vocab], null);
            List<StepEntry> bad = List.of(
                    entry(2, new int[] {2}, 0, new int[] {vocab}),                  // token outside the vocabulary
                    entry(2, new int[] {2}, 0, new int[] {-1}),
                    entry(2, new int[] {2}, 0, new int[0]),                         // no tokens
                    entry(2, new int[] {2}, 0, prompt(17, 1, vocab)),               // page table too short
                    entry(2, new int[] {2, 6}, 0, prompt(17, 1, vocab)),            // page id outside the pool
                    entry(2, new int[] {2, -1}, 0, prompt(17, 1, vocab)),
                    entry(1, new int[] {2}, 0, new int[] {5}),                      // sequence 1 twice
                    entry(2, new int[] {1}, 0, new int[] {5}),                      // writes sequence 1's page
                    entry(2, new int[] {1, 2}, 16, new int[] {5}),                  // reads a page 1 writes
                    entry(2, new int[] {2, 3}, 16, new int[] {5}),                  // reads a page never written
                    entry(2, new int[] {2, 3, 0, 5, 0, 0, 0, 0, 0}, 127, new int[] {5, 6}), // beyond the context
                    entry(2, new int[] {2}, -1, new int[] {5}));
            for (StepEntry entry : bad) {
                assertThrows(IllegalArgumentException.class, () -> executor.step(List.of(good, entry)),
                        entry.toString());
                assertThrows(IllegalArgumentException.class, () -> executor.step(List.of(entry, good)));
            }
            executor.step(List.of(good));
            assertArrayEquals(alone(engine, prompt, 18), good.logits(),
                    "sequence 1 continues as if the bad steps never ran");
        }
    }

    /**
     * LongRoPE's factors follow the most positions a sequence may hold, not the pool: a pool of 256 positions shared
     * by sequences of at most 64 (the phi3-longrope model's original context) uses the short factors, as llama.cpp
     * does for a per-sequence context of 64, and gives what a pool of only 64 positions gives.
     */
    @ParameterizedTest
    @ValueSource(strings = {"phi3-longrope"})
    void longRopeFactorsFollowTheSequencesContextNotThePool(String name) {
        int[] tokens = prompt(20, 4, VOCAB);
        try (GgufFile gguf = GgufFile.open(model(name, 256)); CpuEngine engine = CpuEngine.load(gguf, 2)) {
            float[] shortInLargePool = logits(engine, 16, 64, tokens);
            float[] shortInSmallPool = logits(engine, 4, 64, tokens);
            float[] longInLargePool = logits(engine, 16, 256, tokens);
            assertArrayEquals(shortInSmallPool, shortInLargePool);
            assertTrue(!Arrays.equals(shortInLargePool, longInLargePool), "the long factors give other logits");
            assertThrows(IllegalArgumentException.class, () -> engine.newStepExecutor(4, 64, 65),
                    "no more positions than the pool holds");
            assertThrows(IllegalArgumentException.class, () -> engine.newStepExecutor(32, 64, 257),
                    "no more positions than the model was trained for");
        }
    }

    private static float[] logits(CpuEngine engine, int pageCount, int maxPositions, int[] tokens) {
        float[] logits = new float[engine.vocabularySize()];
        try (StepExecutor executor = engine.newStepExecutor(pageCount, 64, maxPositions)) {
            executor.step(List.of(new StepEntry(1, new int[] {0, 1}, 0, tokens, logits, null)));
        }
        return logits;
    }

    /** The logits after {@code tokens}, run as one entry in a fresh pool. */
    private static float[] alone(CpuEngine engine, int[] tokens) {
        float[] logits = new float[engine.vocabularySize()];
        try (StepExecutor executor = engine.newStepExecutor(PAGES_PER_SEQUENCE, 128, engine.trainedContextLength())) {
            executor.step(List.of(new StepEntry(1, pagesOf(0, 1), 0, tokens, logits, null)));
        }
        return logits;
    }

    /** The logits after {@code tokens}, run as a first entry of {@code split} tokens then one of the rest. */
    private static float[] alone(CpuEngine engine, int[] tokens, int split) {
        float[] logits = new float[engine.vocabularySize()];
        try (StepExecutor executor = engine.newStepExecutor(PAGES_PER_SEQUENCE, 128, engine.trainedContextLength())) {
            executor.step(List.of(new StepEntry(1, pagesOf(0, 1), 0, Arrays.copyOf(tokens, split),
                    new float[logits.length], null)));
            executor.step(List.of(new StepEntry(1, pagesOf(0, 1), split, Arrays.copyOfRange(tokens, split,
                    tokens.length), logits, null)));
        }
        return logits;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] joined = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, joined, a.length, b.length);
        return joined;
    }
}
