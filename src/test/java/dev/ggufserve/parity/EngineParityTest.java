package dev.ggufserve.parity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ggufserve.engine.Sequence;
import dev.ggufserve.engine.cpu.CpuEngine;
import dev.ggufserve.gguf.GgufFile;
import dev.ggufserve.sampling.TokenLogprobs;
import dev.ggufserve.testing.ModelSpec;
import dev.ggufserve.testing.RandomModels;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Teacher-forced parity of the CPU engine with llama.cpp and the exact float64 reference on the same GGUF
 * files: random-weight models of every tensor type (written by the test GGUF writer) and the real
 * stories260K. The HTTP route to the same numbers is covered by the API parity test.
 */
class EngineParityTest {

    /** llama.cpp's scoring context (llama-oracle creates one of at least 256 tokens); LongRoPE picks its
     * factors from the context length, so our sequence has the same capacity. */
    private static final int ORACLE_CONTEXT = 256;

    @TempDir
    static Path models;

    static Stream<String> randomModels() {
        return RandomModels.standardModels().keySet().stream().sorted();
    }

    @ParameterizedTest
    @MethodSource("randomModels")
    void randomModelMatchesTheReferences(String name) throws IOException {
        ModelSpec spec = RandomModels.standardModels().get(name);
        assertEquals(ReferenceScores.resource(name + ".sha256").trim(), RandomModels.sha256(spec),
                name + ": the test GGUF writer no longer writes the file the golden answers were computed on;"
                        + " rerun src/test/parity/make-goldens.sh");
        Path file = RandomModels.write(spec, models.resolve(name + ".gguf"));
        // llama.cpp disables Phi-3's sliding window and the float reference has none, so where the window
        // applies neither reference answers for it: compare the positions it does not reach (the window's own
        // reach is pinned by slidingWindowLimitsWhatAPositionSees).
        int comparedPositions = spec.slidingWindow() > 0 ? spec.slidingWindow() : Integer.MAX_VALUE;
        assertParity(name, file, comparedPositions);
    }

    @Test
    void slidingWindowLimitsWhatAPositionSees() throws IOException {
        ModelSpec spec = RandomModels.standardModels().get("phi3-sliding");
        Path file = RandomModels.write(spec, models.resolve("window.gguf"));
        int[] prompt = ReferenceScores.load("phi3-sliding", "llama").tokens();
        int last = prompt.length - 1;
        // Each layer reaches (window - 1) positions further back, so the last position sees no token before this.
        int firstVisible = last - spec.layers() * (spec.slidingWindow() - 1);
        int[] earlyTokensChanged = prompt.clone();
        for (int i = 1; i < firstVisible; i++) {
            earlyTokensChanged[i] = 3 + (prompt[i] + 17) % 250;
        }
        int[] visibleTokenChanged = prompt.clone();
        visibleTokenChanged[firstVisible] = 3 + (prompt[firstVisible] + 17) % 250;
        try (GgufFile gguf = GgufFile.open(file); CpuEngine engine = CpuEngine.load(gguf, 2)) {
            float[] original = lastLogits(engine, prompt);
            assertArrayEquals(original, lastLogits(engine, earlyTokensChanged),
                    "tokens outside the window must not change the last position's logits");
            assertTrue(!Arrays.equals(original, lastLogits(engine, visibleTokenChanged)),
                    "a token inside the window must change the last position's logits");
        }
    }

    private static float[] lastLogits(CpuEngine engine, int[] tokens) {
        try (Sequence sequence = engine.newSequence(ORACLE_CONTEXT)) {
            return sequence.append(tokens, null).clone();
        }
    }

    @Test
    void stories260KMatchesTheReferences() throws IOException {
        assertParity("stories260K", demoModel(), Integer.MAX_VALUE);
    }

    @Test
    void stories260KGreedyTextEqualsLlamaCpp() throws IOException {
        int[] expected = ReferenceScores.resource("stories260K.greedy.jsonl").lines()
                .mapToInt(line -> Integer.parseInt(line.replaceAll(".*\"token\":(\\d+).*", "$1"))).toArray();
        try (GgufFile file = GgufFile.open(demoModel());
                CpuEngine engine = CpuEngine.load(file, 2);
                Sequence sequence = engine.newSequence(ORACLE_CONTEXT)) {
            // BOS + "Once upon a time", as llama-oracle tokenized it for the golden file.
            float[] logits = sequence.append(new int[] {1, 403, 407, 261, 378}, null);
            int[] generated = new int[expected.length];
            for (int i = 0; i < generated.length; i++) {
                generated[i] = argmax(logits);
                logits = sequence.append(new int[] {generated[i]}, null);
            }
            assertArrayEquals(expected, generated);
        }
    }

    /** Compares the first {@code comparedPositions} scored positions (all when there are fewer). */
    private static void assertParity(String name, Path file, int comparedPositions) {
        ReferenceScores llama = ReferenceScores.load(name, "llama").firstPositions(comparedPositions);
        ReferenceScores exact = ReferenceScores.load(name, "exact").firstPositions(comparedPositions);
        int[] tokens = llama.tokens();
        double[] ours = new double[llama.logProbabilities().length];
        try (GgufFile gguf = GgufFile.open(file);
                CpuEngine engine = CpuEngine.load(gguf, 2);
                Sequence sequence = engine.newSequence(ORACLE_CONTEXT)) {
            sequence.append(tokens, (index, logits) -> {
                if (index < ours.length) {
                    ours[index] = TokenLogprobs.of(logits, tokens[index + 1], 0).logprob();
                }
            });
        }
        ParityVerdict verdict = ParityVerdict.of(ours, llama, exact);
        System.out.printf("parity %-14s %s%n", name, verdict);
        assertTrue(verdict.passes(), name + ": " + verdict);
    }

    private static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    /** The demo model, copied out of the resources because weights are memory-mapped from a file. */
    private static Path demoModel() throws IOException {
        Path file = models.resolve("stories260K.gguf");
        if (!Files.exists(file)) {
            try (InputStream in = EngineParityTest.class.getResourceAsStream("/models/stories260K.gguf")) {
                if (in == null) {
                    throw new IllegalStateException("the demo model is missing from src/main/resources/models");
                }
                Files.copy(in, file);
            }
        }
        return file;
    }
}
