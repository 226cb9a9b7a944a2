package dev.ggufserve.parity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ggufserve.engine.Sequence;
import dev.ggufserve.engine.cpu.CpuEngine;
import dev.ggufserve.engine.cuda.CudaEngine;
import dev.ggufserve.engine.cuda.Gpu;
import dev.ggufserve.gguf.GgufFile;
import dev.ggufserve.testing.DemoModel;
import dev.ggufserve.testing.Logits;
import dev.ggufserve.testing.ModelSpec;
import dev.ggufserve.testing.RandomModels;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
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

    @TempDir
    static Path models;

    @BeforeEach
    void needsGpu() {
        Gpu.assumeAvailable();
    }

    /** The standard models the CUDA engine runs: Qwen2's biases and Qwen3's q/k norms are refused (EnginesTest). */
    static Stream<String> randomModels() {
        return RandomModels.standardModels().entrySet().stream()
                .filter(entry -> !entry.getValue().architecture().startsWith("qwen"))
                .map(Map.Entry::getKey).sorted();
    }

    @ParameterizedTest
    @MethodSource("randomModels")
    void prefillMatchesTheReferences(String name) {
        ModelSpec spec = RandomModels.standardModels().get(name);
        Path file = RandomModels.write(spec, models.resolve(name + ".gguf"));
        // As EngineParityTest: neither reference applies Phi-3's sliding window.
        int comparedPositions = spec.slidingWindow() > 0 ? spec.slidingWindow() : Integer.MAX_VALUE;
        ParityCheck.assertParity("cuda parity", name, file, comparedPositions,
                CudaEngine::load);
    }

    @Test
    void stories260KPrefillMatchesTheReferences() throws IOException {
        ParityCheck.assertParity("cuda parity", "stories260K", DemoModel.in(models), Integer.MAX_VALUE,
                CudaEngine::load);
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
                Sequence expected = cpu.newSequence(ParityCheck.ORACLE_CONTEXT);
                Sequence actual = cuda.newSequence(ParityCheck.ORACLE_CONTEXT)) {
            double worst = 0;
            for (int token : tokens) {
                float[] cpuLogits = expected.append(new int[] {token}, null);
                float[] gpuLogits = actual.append(new int[] {token}, null);
                worst = Math.max(worst, Logits.relativeError(cpuLogits, gpuLogits));
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
        try (GgufFile file = GgufFile.open(DemoModel.in(models));
                CudaEngine engine = CudaEngine.load(file);
                Sequence sequence = engine.newSequence(ParityCheck.ORACLE_CONTEXT)) {
            float[] logits = sequence.append(new int[] {1, 403, 407, 261, 378}, null);
            int[] generated = new int[expected.length];
            for (int i = 0; i < generated.length; i++) {
                generated[i] = Logits.argmax(logits);
                logits = sequence.append(new int[] {generated[i]}, null);
            }
            assertArrayEquals(expected, generated);
        }
    }

    /** Truncating keeps the prefix: re-appending the dropped tokens gives the same logits. */
    @Test
    void truncateKeepsThePrefix() throws IOException {
        try (GgufFile file = GgufFile.open(DemoModel.in(models));
                CudaEngine engine = CudaEngine.load(file);
                Sequence sequence = engine.newSequence(ParityCheck.ORACLE_CONTEXT)) {
            int[] prompt = {1, 403, 407, 261, 378, 290, 301};
            float[] first = sequence.append(prompt, null).clone();
            sequence.truncate(3);
            assertEquals(3, sequence.length());
            float[] again = sequence.append(new int[] {261, 378, 290, 301}, null);
            assertTrue(Logits.relativeError(first, again) < 1e-3, "relative error " + Logits.relativeError(first, again));
        }
    }
}
