package dev.ggufserve.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ggufserve.gguf.GgufFile;
import dev.ggufserve.gguf.ModelFileException;
import dev.ggufserve.testing.GgufWriter;
import dev.ggufserve.testing.ModelSpec;
import dev.ggufserve.testing.RandomModels;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the config and the weights of the byte-level-BPE-era families are read, and what is refused at load. */
class ModelConfigFamiliesTest {

    @TempDir
    Path directory;

    @Test
    void qwen3HeadsAreKeyLengthWide() {
        try (GgufFile file = GgufFile.open(RandomModels.write(ModelSpec.qwen3(), directory.resolve("q3.gguf")))) {
            ModelConfig config = ModelConfig.read(file);
            assertEquals(Architecture.QWEN3, config.architecture());
            assertEquals(32, config.headDimension());
            assertEquals(128, config.queryDimension());
            assertEquals(32, config.ropeDimension());
            ModelWeights weights = ModelWeights.bind(file, config);
            LayerWeights layer = weights.layers().getFirst();
            assertEquals(32, layer.queryNorm().length);
            assertEquals(32, layer.keyNorm().length);
            assertNull(layer.qkvBias());
            assertSame(weights.tokenEmbedding(), weights.output(), "tied output head");
        }
    }

    @Test
    void qwen2BiasesAreConcatenatedInQkvOrder() {
        try (GgufFile file = GgufFile.open(RandomModels.write(ModelSpec.qwen2(), directory.resolve("q2.gguf")))) {
            ModelConfig config = ModelConfig.read(file);
            LayerWeights layer = ModelWeights.bind(file, config).layers().getFirst();
            assertEquals(config.queryDimension() + 2 * config.kvDimension(), layer.qkvBias().length);
            assertNull(layer.queryNorm());
            assertTrue(config.architecture().neoxRotary());
        }
    }

    @Test
    void llama3RopeFreqsDivideTheFrequenciesAtEveryContext() {
        try (GgufFile file = GgufFile.open(RandomModels.write(ModelSpec.llama3(), directory.resolve("l3.gguf")))) {
            ModelConfig config = ModelConfig.read(file);
            ModelWeights weights = ModelWeights.bind(file, config);
            assertNotNull(weights.ropeFrequencyFactors());
            assertEquals(config.ropeDimension() / 2, weights.ropeFrequencyFactors().length);
            assertSame(weights.ropeFrequencyFactors(), weights.ropeFactorsFor(config, 16));
            assertSame(weights.ropeFrequencyFactors(), weights.ropeFactorsFor(config, 100_000));
        }
    }

    @Test
    void unsupportedRopeScalingIsRefusedAtLoad() {
        GgufWriter yarn = RandomModels.writer(ModelSpec.qwen2())
                .putString("qwen2.rope.scaling.type", "yarn")
                .putFloat32("qwen2.rope.scaling.factor", 4f);
        try (GgufFile file = GgufFile.open(yarn.write(directory.resolve("yarn.gguf")))) {
            ModelFileException e = assertThrows(ModelFileException.class, () -> ModelConfig.read(file));
            assertTrue(e.getMessage().contains("rope.scaling.type 'yarn' (factor 4.0) is not supported"),
                    e.getMessage());
        }
    }

    @Test
    void valuesNarrowerThanKeysAreRefused() {
        GgufWriter writer = RandomModels.writer(ModelSpec.qwen3().withKeyLength(0))
                .putUint32("qwen3.attention.key_length", 16)
                .putUint32("qwen3.attention.value_length", 8);
        try (GgufFile file = GgufFile.open(writer.write(directory.resolve("values.gguf")))) {
            ModelFileException e = assertThrows(ModelFileException.class, () -> ModelConfig.read(file));
            assertTrue(e.getMessage().contains("attention.value_length 8 differs from attention.key_length 16"),
                    e.getMessage());
        }
    }
}
