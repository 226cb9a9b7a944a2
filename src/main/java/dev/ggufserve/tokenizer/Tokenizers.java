package dev.ggufserve.tokenizer;

import dev.ggufserve.gguf.GgufMetadata;
import dev.ggufserve.gguf.ModelFileException;

import java.nio.file.Path;
import java.util.Optional;

/** Chooses the tokenizer for a model. */
public final class Tokenizers {

    private Tokenizers() {
    }

    /**
     * The GGUF file's own tokenizer, or, when {@code huggingFaceTokenizerJson} is given, a
     * {@link HuggingFaceTokenizer} that encodes with that file and decodes with the GGUF vocabulary (close it
     * when done: it holds native memory).
     *
     * @throws ModelFileException       when the GGUF has no tokenizer or one that is not supported
     * @throws IllegalArgumentException when the tokenizer.json is missing or unreadable (the message names it)
     */
    public static Tokenizer load(GgufMetadata metadata, Optional<Path> huggingFaceTokenizerJson) {
        GgufTokenizer vocabulary = GgufTokenizer.fromMetadata(metadata);
        if (huggingFaceTokenizerJson.isEmpty()) {
            return vocabulary;
        }
        return HuggingFaceTokenizer.open(huggingFaceTokenizerJson.get(), vocabulary);
    }
}
