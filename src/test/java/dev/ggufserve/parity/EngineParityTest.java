package dev.ggufserve.parity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ggufserve.engine.Sequence;
import dev.ggufserve.engine.cpu.CpuEngine;
import dev.ggufserve.gguf.GgufFile;
import dev.ggufserve.testing.DemoModel;
import dev.ggufserve.testing.Logits;
import dev.ggufserve.testing.ModelSpec;
import dev.ggufserve.testing.RandomModels;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Teacher-forced parity of the CPU engine with llama.cpp and the exact float64 reference on the same GGUF
 * files: random-weight models of every tensor type (written by the test GGUF writer) and the real
 * stories260K. The HTTP route to the same numbers is covered by the API parity test.
 */
class EngineParityTest {


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
        ParityCheck.assertParity("parity", name, file, comparedPositions,
                gguf -> CpuEngine.load(gguf, 2));
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
        try (Sequence sequence = engine.newSequence(ParityCheck.ORACLE_CONTEXT)) {
            return sequence.append(tokens, null).clone();
        }
    }

    @Test
    void stories260KMatchesTheReferences() throws IOException {
        ParityCheck.assertParity("parity", "stories260K", DemoModel.in(models), Integer.MAX_VALUE,
                gguf -> CpuEngine.load(gguf, 2));
    }

    /**
     * Greedy generation on the F32 random models of the byte-level-BPE-era families gives llama.cpp's tokens
     * (llama-oracle greedy, 24 tokens after the golden prompt's first 8 ids; the smallest gap between the two best
     * probabilities on the way is 0.001, well above the engines' difference).
     */
    @ParameterizedTest
    @ValueSource(strings = {"qwen2-f32", "qwen3-f32", "llama3-f32"})
    void greedyTokensEqualLlamaCpp(String name) {
        int[] expected = ReferenceScores.resource(name + ".greedy.jsonl").lines()
                .mapToInt(line -> Integer.parseInt(line.replaceAll(".*\"token\":(\\d+).*", "$1"))).toArray();
        Path file = RandomModels.write(RandomModels.standardModels().get(name), models.resolve(name + "-greedy.gguf"));
        try (GgufFile gguf = GgufFile.open(file);
                CpuEngine engine = CpuEngine.load(gguf, 2);
                Sequence sequence = engine.newSequence(ParityCheck.ORACLE_CONTEXT)) {
            float[] logits = sequence.append(new int[] {1, 168, 80, 205, 27, 40, 277, 51}, null);
            int[] generated = new int[expected.length];
            for (int i = 0; i < generated.length; i++) {
                generated[i] = Logits.argmax(logits);
                logits = sequence.append(new int[] {generated[i]}, null);
            }
            assertArrayEquals(expected, generated, name);
        }
    }

    @Test
    void stories260KGreedyTextEqualsLlamaCpp() throws IOException {
        int[] expected = ReferenceScores.resource("stories260K.greedy.jsonl").lines()
                .mapToInt(line -> Integer.parseInt(line.replaceAll(".*\"token\":(\\d+).*", "$1"))).toArray();
        try (GgufFile file = GgufFile.open(DemoModel.in(models));
                CpuEngine engine = CpuEngine.load(file, 2);
                Sequence sequence = engine.newSequence(ParityCheck.ORACLE_CONTEXT)) {
            // BOS + "Once upon a time", as llama-oracle tokenized it for the golden file.
            float[] logits = sequence.append(new int[] {1, 403, 407, 261, 378}, null);
            int[] generated = new int[expected.length];
            for (int i = 0; i < generated.length; i++) {
                generated[i] = Logits.argmax(logits);
                logits = sequence.append(new int[] {generated[i]}, null);
            }
            assertArrayEquals(expected, generated);
        }
    }
}
