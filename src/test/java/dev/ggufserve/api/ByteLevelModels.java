package dev.ggufserve.api;

import dev.ggufserve.gguf.GgmlType;
import dev.ggufserve.gguf.GgufFile;
import dev.ggufserve.gguf.GgufMetadata;
import dev.ggufserve.testing.ModelSpec;
import dev.ggufserve.testing.RandomModels;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Random-weight models with real byte-level BPE vocabularies for the API tests: a Qwen2.5-style model with
 * llama.cpp's Qwen2 vocabulary and Qwen2.5's chat template, and a Llama-3.2-style one with the Llama 3 vocabulary and
 * Llama 3.2's template. The token embedding (tied output head) is Q8_0 to keep the files near 10 MB.
 */
final class ByteLevelModels {

    private ByteLevelModels() {
    }

    static Map<String, String> qwen2(String modelId) {
        return serve(modelId, ModelSpec.qwen2(), "ggml-vocab-qwen2.gguf",
                resource("/chat-templates/Qwen-Qwen2.5-7B-Instruct.jinja"));
    }

    static Map<String, String> llama3(String modelId) {
        return serve(modelId, ModelSpec.llama3(), "ggml-vocab-llama-bpe.gguf",
                resource("/chat-templates/meta-llama-Llama-3.2-3B-Instruct.jinja"));
    }

    private static Map<String, String> serve(String modelId, ModelSpec spec, String vocabularyFile, String template) {
        try {
            Path file = Files.createTempFile(modelId, ".gguf");
            file.toFile().deleteOnExit();
            GgufMetadata vocabulary;
            try (GgufFile gguf = GgufFile.open(Path.of(ByteLevelModels.class.getResource("/fixtures/"
                    + vocabularyFile).toURI()))) {
                vocabulary = gguf.metadata();
            }
            RandomModels.writer(spec.withName(modelId).withRoleType("token_embd", GgmlType.Q8_0), vocabulary, template)
                    .write(file);
            return Map.of("llm.model-path", file.toString(), "llm.model-id", modelId);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String resource(String name) {
        try (InputStream in = ByteLevelModels.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
