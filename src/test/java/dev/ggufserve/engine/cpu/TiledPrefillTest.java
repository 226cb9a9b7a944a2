package dev.ggufserve.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ggufserve.engine.Sequence;
import dev.ggufserve.gguf.GgufFile;
import dev.ggufserve.testing.ModelSpec;
import dev.ggufserve.testing.RandomModels;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A prompt appended at once runs in tiles of {@link CpuSequence#TILE} tokens through matMul; appended one token at a
 * time it runs through matVec. Both must give the same logits at every position, up to rounding: the two kernels
 * sum in different orders, and the KV cache rounds each key and value to half precision, so a key that differs in
 * its last float bit between the two paths can round to neighbouring halves, 2^-11 apart relative. Measured worst
 * difference over these models: 1.3e-4 of the largest logit (3e-6 with a float32 cache); a tiling mistake (a wrong
 * offset, a missed position) moves logits by the order of the logits themselves.
 */
class TiledPrefillTest {

    @TempDir
    static Path models;

    @ParameterizedTest
    @ValueSource(strings = {"phi3-q4_k_m", "llama-q5_k", "llama-q4_0", "phi3-sliding", "qwen3-f32", "qwen2-f32"})
    void tiledPrefillEqualsTokenByToken(String name) {
        ModelSpec spec = RandomModels.standardModels().get(name);
        Path file = RandomModels.write(spec, models.resolve(name + ".gguf"));
        // Two full tiles and a partial one, so tiles start at positions with cached keys before them.
        int[] prompt = new int[2 * CpuSequence.TILE + 21];
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = 3 + (i * 37) % (spec.vocab() - 3);
        }
        int vocab = spec.vocab();
        float[][] tiled = new float[prompt.length][];
        float[][] single = new float[prompt.length][];
        try (GgufFile gguf = GgufFile.open(file); CpuEngine engine = CpuEngine.load(gguf, 2)) {
            try (Sequence sequence = engine.newSequence(3 * CpuSequence.TILE)) {
                sequence.append(prompt, (index, logits) -> tiled[index] = logits.clone());
            }
            try (Sequence sequence = engine.newSequence(3 * CpuSequence.TILE)) {
                for (int i = 0; i < prompt.length; i++) {
                    single[i] = sequence.append(new int[] {prompt[i]}, null).clone();
                }
            }
        }
        for (int i = 0; i < prompt.length; i++) {
            float largest = 0;
            for (int v = 0; v < vocab; v++) {
                largest = Math.max(largest, Math.abs(single[i][v]));
            }
            for (int v = 0; v < vocab; v++) {
                assertEquals(single[i][v], tiled[i][v], 5e-4f * largest, name + " position " + i + " token " + v);
            }
        }
    }
}
