package dev.ggufserve.parity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ggufserve.engine.Engine;
import dev.ggufserve.engine.Sequence;
import dev.ggufserve.engine.cpu.CpuEngine;
import dev.ggufserve.engine.cuda.CudaEngine;
import dev.ggufserve.engine.cuda.Gpu;
import dev.ggufserve.gguf.GgufFile;
import dev.ggufserve.sampling.TokenLogprobs;
import dev.ggufserve.testing.ModelSpec;
import dev.ggufserve.testing.RandomModels;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The CUDA engine on the files of {@link EngineParityTest}, under the same rule ({@link ParityVerdict}): the
 * teacher-forced prompt (one prefill through the matrix-product kernels) against llama.cpp and the float64
 * reference, and token-by-token decoding (the matrix-vector kernels) against the CPU engine's logits.
 */
@Tag("gpu")
class CudaEngineParityTest {

    private static final int ORACLE_CONTEXT = 256;

    @TempDir
    static Path models;

    @BeforeEach
    void needsGpu() {
        Gpu.assumeAvailable();
    }

    static Stream<String> randomModels() {
        return RandomModels.standardModels().keySet().stream().sorted();
    }

    @ParameterizedTest
    @MethodSource("randomModels")
    void prefillMatchesTheReferences(String name) {
        ModelSpec spec = RandomModels.standardModels().get(name);
        Path file = RandomModels.write(spec, models.resolve(name + ".gguf"));
        // As EngineParityTest: neither reference applies Phi-3's sliding window.
        int comparedPositions = spec.slidingWindow() > 0 ? spec.slidingWindow() : Integer.MAX_VALUE;
        assertParity(name, file, comparedPositions);
    }

    @Test
    void stories260KPrefillMatchesTheReferences() throws IOException {
        assertParity("stories260K", demoModel(), Integer.MAX_VALUE);
    }

    /** Decoding one token at a time gives the CPU engine's logits at every position (sliding window included). */
    @ParameterizedTest
    @MethodSource("randomModels")
    void decodingMatchesTheCpuEngine(String name) {
        ModelSpec spec = RandomModels.standardModels().get(name);
        Path file = RandomModels.write(spec, models.resolve(name + ".gguf"));
        int[] tokens = ReferenceScores.load(name, "llama").tokens();
        try (GgufFile gguf = GgufFile.open(file);
                CpuEngine cpu = CpuEngine.load(gguf, 2);
                CudaEngine cuda = CudaEngine.load(gguf);
                Sequence expected = cpu.newSequence(ORACLE_CONTEXT);
                Sequence actual = cuda.newSequence(ORACLE_CONTEXT)) {
            double worst = 0;
            for (int token : tokens) {
                float[] cpuLogits = expected.append(new int[] {token}, null);
                float[] gpuLogits = actual.append(new int[] {token}, null);
                worst = Math.max(worst, relativeError(cpuLogits, gpuLogits));
            }
            System.out.printf("decode %-14s worst relative error of the logits %.2e over %d positions%n", name, worst,
                    tokens.length);
            assertTrue(worst < 1e-4, name + ": relative error " + worst);
        }
    }

    @Test
    void stories260KGreedyTextEqualsLlamaCpp() throws IOException {
        int[] expected = ReferenceScores.resource("stories260K.greedy.jsonl").lines()
                .mapToInt(line -> Integer.parseInt(line.replaceAll(".*\"token\":(\\d+).*", "$1"))).toArray();
        try (GgufFile file = GgufFile.open(demoModel());
                CudaEngine engine = CudaEngine.load(file);
                Sequence sequence = engine.newSequence(ORACLE_CONTEXT)) {
            float[] logits = sequence.append(new int[] {1, 403, 407, 261, 378}, null);
            int[] generated = new int[expected.length];
            for (int i = 0; i < generated.length; i++) {
                generated[i] = argmax(logits);
                logits = sequence.append(new int[] {generated[i]}, null);
            }
            assertArrayEquals(expected, generated);
        }
    }

    /** Truncating keeps the prefix: re-appending the dropped tokens gives the same logits. */
    @Test
    void truncateKeepsThePrefix() throws IOException {
        try (GgufFile file = GgufFile.open(demoModel());
                CudaEngine engine = CudaEngine.load(file);
                Sequence sequence = engine.newSequence(ORACLE_CONTEXT)) {
            int[] prompt = {1, 403, 407, 261, 378, 290, 301};
            float[] first = sequence.append(prompt, null).clone();
            sequence.truncate(3);
            assertEquals(3, sequence.length());
            float[] again = sequence.append(new int[] {261, 378, 290, 301}, null);
            assertTrue(relativeError(first, again) < 1e-3, "relative error " + relativeError(first, again));
        }
    }

    private static void assertParity(String name, Path file, int comparedPositions) {
        ReferenceScores llama = ReferenceScores.load(name, "llama").firstPositions(comparedPositions);
        ReferenceScores exact = ReferenceScores.load(name, "exact").firstPositions(comparedPositions);
        int[] tokens = llama.tokens();
        double[] ours = new double[llama.logProbabilities().length];
        try (GgufFile gguf = GgufFile.open(file);
                Engine engine = CudaEngine.load(gguf);
                Sequence sequence = engine.newSequence(ORACLE_CONTEXT)) {
            sequence.append(tokens, (index, logits) -> {
                if (index < ours.length) {
                    ours[index] = TokenLogprobs.of(logits, tokens[index + 1], 0).logprob();
                }
            });
        }
        ParityVerdict verdict = ParityVerdict.of(ours, llama, exact);
        System.out.printf("cuda parity %-14s %s%n", name, verdict);
        assertTrue(verdict.passes(), name + ": " + verdict);
    }

    private static double relativeError(float[] expected, float[] actual) {
        double difference = 0;
        double norm = 0;
        for (int i = 0; i < expected.length; i++) {
            difference += Math.pow((double) actual[i] - expected[i], 2);
            norm += Math.pow(expected[i], 2);
        }
        return Math.sqrt(difference / norm);
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

    private static Path demoModel() throws IOException {
        Path file = models.resolve("stories260K.gguf");
        if (!Files.exists(file)) {
            try (InputStream in = CudaEngineParityTest.class.getResourceAsStream("/models/stories260K.gguf")) {
                if (in == null) {
                    throw new IllegalStateException("the demo model is missing from src/main/resources/models");
                }
                Files.copy(in, file);
            }
        }
        return file;
    }
}
