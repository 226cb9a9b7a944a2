package dev.ggufserve.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ggufserve.engine.cuda.Gpu;
import dev.ggufserve.gguf.GgufFile;
import dev.ggufserve.testing.RandomModels;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which engine {@link Engines#open} gives for each LLM_ENGINE value, with and without a GPU. */
class EnginesTest {

    @TempDir
    Path directory;

    @Test
    void cudaWithoutGpuFailsWithOneClearMessage() {
        assumeTrue(Gpu.unavailableReason().isPresent(), "this machine has a GPU");
        try (GgufFile model = GgufFile.open(randomModel())) {
            EngineUnavailableException e = assertThrows(EngineUnavailableException.class,
                    () -> Engines.open(model, EngineKind.CUDA, 1));
            assertTrue(e.getMessage().startsWith("CUDA not available: "), e.getMessage());
            assertEquals(Gpu.unavailableReason().orElseThrow(), e.getMessage());
        }
    }

    @Test
    void autoUsesTheGpuWhenThereIsOneAndTheCpuOtherwise() {
        try (GgufFile model = GgufFile.open(randomModel()); Engine engine = Engines.open(model, EngineKind.AUTO, 1)) {
            assertEquals(Gpu.unavailableReason().isPresent() ? "cpu" : "cuda", engine.kind());
        }
    }

    @Test
    void cpuIsAlwaysTheCpuEngine() {
        try (GgufFile model = GgufFile.open(randomModel()); Engine engine = Engines.open(model, EngineKind.CPU, 1)) {
            assertEquals("cpu", engine.kind());
        }
    }

    /**
     * Qwen2's biases and Qwen3's per-head norms are not in the CUDA kernels: the CUDA engine refuses such files
     * before it touches a GPU, naming what is missing, and {@code auto} runs them on the CPU.
     */
    @Test
    void cudaRefusesWhatItsKernelsLackAndAutoFallsBackToTheCpu() {
        for (String name : List.of("qwen2-f32", "qwen3-f32")) {
            Path file = RandomModels.write(RandomModels.standardModels().get(name), directory.resolve(name + ".gguf"));
            try (GgufFile model = GgufFile.open(file)) {
                EngineUnavailableException e = assertThrows(EngineUnavailableException.class,
                        () -> Engines.open(model, EngineKind.CUDA, 1));
                String feature = name.startsWith("qwen2") ? "attention biases (attn_q.bias)"
                        : "the RMSNorm of each query and key head (attn_q_norm, attn_k_norm)";
                assertEquals("the CUDA engine's kernels do not compute " + feature
                        + " yet; use the CPU engine (LLM_ENGINE=cpu, or auto)", e.getMessage());
                try (Engine engine = Engines.open(model, EngineKind.AUTO, 1)) {
                    assertEquals("cpu", engine.kind());
                }
            }
        }
    }

    private Path randomModel() {
        return RandomModels.write(RandomModels.standardModels().get("llama-f32"), directory.resolve("model.gguf"));
    }
}
