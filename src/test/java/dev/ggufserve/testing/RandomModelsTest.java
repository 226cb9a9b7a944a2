package dev.ggufserve.testing;

import dev.ggufserve.gguf.GgmlType;
import dev.ggufserve.gguf.GgufFile;
import dev.ggufserve.gguf.GgufMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RandomModelsTest {

    @TempDir
    Path dir;

    @Test
    void everyStandardModelIsByteIdenticalAcrossRuns() {
        for (Map.Entry<String, ModelSpec> model : RandomModels.standardModels().entrySet()) {
            byte[] first = RandomModels.toBytes(model.getValue());
            byte[] second = RandomModels.toBytes(RandomModels.standardModels().get(model.getKey()));
            assertArrayEquals(first, second, model.getKey());
            assertTrue(first.length < 3_000_000, model.getKey() + " is " + first.length + " bytes");
        }
    }

    /**
     * Reference answers (llama.cpp, the float reference) are computed once per model file; if this fails, the
     * generator changed and those answers must be recomputed together with these hashes.
     */
    @Test
    void standardModelHashesArePinned() {
        Map<String, ModelSpec> models = RandomModels.standardModels();
        assertEquals("501c221f9682270ff257676bca1c3040592ada3122ed83c1d6fba0141c5ebbf9",
                RandomModels.sha256(models.get("llama-f32")));
        assertEquals("e6f2ce949d281c66eb4e9fa6d7f6ef5e9ce7898af45ee22c9e52112b0309feff",
                RandomModels.sha256(models.get("phi3-q4_k_m")));
    }

    @Test
    void seedChangesTheWeights() {
        assertFalse(Arrays.equals(RandomModels.toBytes(ModelSpec.llama()), RandomModels.toBytes(ModelSpec.llama().withSeed(2))));
    }

    @Test
    void llamaModelHasTheExpectedTensorsAndMetadata() {
        ModelSpec spec = RandomModels.standardModels().get("llama-q8_0");
        try (GgufFile file = GgufFile.open(RandomModels.write(spec, dir.resolve("llama.gguf")))) {
            GgufMetadata metadata = file.metadata();
            assertEquals("llama", file.architecture());
            assertEquals("llama-q8_0", metadata.requireString("general.name"));
            assertEquals(64, metadata.requireLong("llama.embedding_length"));
            assertEquals(2, metadata.requireLong("llama.block_count"));
            assertEquals(128, metadata.requireLong("llama.feed_forward_length"));
            assertEquals(4, metadata.requireLong("llama.attention.head_count"));
            assertEquals(2, metadata.requireLong("llama.attention.head_count_kv"));
            assertEquals(16, metadata.requireLong("llama.rope.dimension_count"));
            assertEquals(1e-5, metadata.requireDouble("llama.attention.layer_norm_rms_epsilon"), 1e-12);
            assertEquals(10000, metadata.requireDouble("llama.rope.freq_base"));

            assertEquals(GgmlType.Q8_0, file.requireTensor("token_embd.weight", 64, 320).type());
            assertEquals(GgmlType.F32, file.requireTensor("output_norm.weight", 64).type());
            assertEquals(GgmlType.Q8_0, file.requireTensor("output.weight", 64, 320).type());
            for (int layer = 0; layer < 2; layer++) {
                String block = "blk." + layer + ".";
                assertEquals(GgmlType.F32, file.requireTensor(block + "attn_norm.weight", 64).type());
                file.requireTensor(block + "attn_q.weight", 64, 64);
                file.requireTensor(block + "attn_k.weight", 64, 32);
                file.requireTensor(block + "attn_v.weight", 64, 32);
                file.requireTensor(block + "attn_output.weight", 64, 64);
                file.requireTensor(block + "ffn_norm.weight", 64);
                file.requireTensor(block + "ffn_gate.weight", 64, 128);
                file.requireTensor(block + "ffn_up.weight", 64, 128);
                file.requireTensor(block + "ffn_down.weight", 128, 64);
            }
            assertEquals(3 + 2 * 9, file.tensors().size());
        }
    }

    @Test
    void phi3ModelsHaveFusedTensorsAndTheQ4KMMix() {
        ModelSpec spec = RandomModels.standardModels().get("phi3-q4_k_m");
        try (GgufFile file = GgufFile.open(RandomModels.write(spec, dir.resolve("phi3.gguf")))) {
            assertEquals("phi3", file.architecture());
            assertEquals(64, file.metadata().requireLong("phi3.rope.dimension_count"));
            assertEquals(GgmlType.Q4_K, file.requireTensor("token_embd.weight", 256, 320).type());
            assertEquals(GgmlType.Q6_K, file.requireTensor("output.weight", 256, 320).type());
            assertEquals(GgmlType.Q5_K, file.requireTensor("blk.0.attn_qkv.weight", 256, 256 + 2 * 256).type());
            assertEquals(GgmlType.Q4_K, file.requireTensor("blk.0.attn_output.weight", 256, 256).type());
            assertEquals(GgmlType.Q4_K, file.requireTensor("blk.1.ffn_up.weight", 256, 2 * 512).type());
            assertEquals(GgmlType.Q6_K, file.requireTensor("blk.1.ffn_down.weight", 512, 256).type());
            assertTrue(file.tensor("blk.0.attn_q.weight").isEmpty());
            assertTrue(file.tensor("rope_factors_long.weight").isEmpty());
            assertFalse(file.metadata().contains("phi3.attention.sliding_window"));
        }
    }

    @Test
    void phi3VariantsCarrySlidingWindowAndLongRope() {
        Map<String, ModelSpec> models = RandomModels.standardModels();
        try (GgufFile file = GgufFile.open(RandomModels.write(models.get("phi3-sliding"), dir.resolve("s.gguf")))) {
            assertEquals(8, file.metadata().requireLong("phi3.attention.sliding_window"));
        }
        try (GgufFile file = GgufFile.open(RandomModels.write(models.get("phi3-longrope"), dir.resolve("l.gguf")))) {
            assertEquals(256, file.metadata().requireLong("phi3.context_length"));
            assertEquals(64, file.metadata().requireLong("phi3.rope.scaling.original_context_length"));
            assertEquals(Math.sqrt(1 + Math.log(4) / Math.log(64)),
                    file.metadata().requireDouble("phi3.rope.scaling.attn_factor"), 1e-6);
            assertEquals(GgmlType.F32, file.requireTensor("rope_factors_long.weight", 8).type());
            assertEquals(GgmlType.F32, file.requireTensor("rope_factors_short.weight", 8).type());
        }
    }

    @Test
    void vocabularyIsASentencePieceVocabularyWithByteFallback() {
        try (GgufFile file = GgufFile.open(RandomModels.write(ModelSpec.phi3(), dir.resolve("phi3.gguf")))) {
            GgufMetadata metadata = file.metadata();
            List<String> tokens = metadata.getStringArray("tokenizer.ggml.tokens").orElseThrow();
            int[] types = metadata.getIntArray("tokenizer.ggml.token_type").orElseThrow();
            float[] scores = metadata.getFloatArray("tokenizer.ggml.scores").orElseThrow();
            assertEquals("llama", metadata.requireString("tokenizer.ggml.model"));
            assertEquals(320, tokens.size());
            assertEquals(320, types.length);
            assertEquals(320, scores.length);
            assertEquals(List.of("<unk>", "<s>", "</s>"), tokens.subList(0, 3));
            assertArrayEquals(new int[] {2, 3, 3}, Arrays.copyOf(types, 3));
            assertEquals("<0x0A>", tokens.get(3 + 0x0A));
            assertEquals(6, types[3 + 0xFF]);
            assertEquals("▁", tokens.get(259));
            assertEquals(1, types[259]);
            assertEquals("<|endoftext|>", tokens.get(315));
            assertEquals("<|user|>", tokens.get(319));
            assertEquals(3, types[319]);
            assertEquals(320, tokens.stream().distinct().count(), "no duplicate pieces");
            assertEquals(1, metadata.requireLong("tokenizer.ggml.bos_token_id"));
            assertEquals(2, metadata.requireLong("tokenizer.ggml.eos_token_id"));
            assertEquals(0, metadata.requireLong("tokenizer.ggml.unknown_token_id"));
            assertEquals(true, metadata.getBoolean("tokenizer.ggml.add_bos_token").orElseThrow());
        }
    }

    @Test
    void specRejectsImpossibleShapes() {
        assertThrows(IllegalArgumentException.class, () -> ModelSpec.llama().withHeads(3, 1));
        assertThrows(IllegalArgumentException.class, () -> ModelSpec.llama().withHeads(4, 3));
        assertThrows(IllegalArgumentException.class, () -> ModelSpec.llama().withSlidingWindow(8));
        assertThrows(IllegalArgumentException.class, () -> RandomModels.toBytes(ModelSpec.llama().withVocab(100)));
    }
}
