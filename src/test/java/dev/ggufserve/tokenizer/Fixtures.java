package dev.ggufserve.tokenizer;

import dev.ggufserve.gguf.GgufFile;
import dev.ggufserve.gguf.GgufMetadata;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The fixture files under src/test/resources/fixtures. */
final class Fixtures {

    static final String PHI3 = "ggml-vocab-phi-3.gguf";
    static final String LLAMA_SPM = "ggml-vocab-llama-spm.gguf";
    static final String LLAMA_BPE = "ggml-vocab-llama-bpe.gguf";
    static final String QWEN2 = "ggml-vocab-qwen2.gguf";
    static final String GPT2 = "ggml-vocab-gpt-2.gguf";

    /** One of llama.cpp's tokenizer test vectors: an input and its token ids without BOS. */
    record VocabCase(int index, String input, int[] expectedIds) {
        @Override
        public String toString() {
            return "case " + index + " " + input.replace("\n", "\\n");
        }
    }

    private Fixtures() {
    }

    static Path path(String name) {
        try {
            return Path.of(Fixtures.class.getResource("/fixtures/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static GgufMetadata metadata(String ggufName) {
        try (GgufFile file = GgufFile.open(path(ggufName))) {
            return file.metadata();
        }
    }

    /**
     * The cases of {@code NAME.inp} / {@code NAME.out}. The .inp file writes every input followed by
     * "\n__ggml_vocab_test__\n", so an input's own trailing newlines are the ones before that separator, and
     * the text after the last separator is empty.
     */
    static List<VocabCase> vocabCases(String ggufName) {
        try {
            String inputs = Files.readString(path(ggufName + ".inp"));
            List<String> outputs = Files.readAllLines(path(ggufName + ".out"));
            String separator = "\n__ggml_vocab_test__\n";
            if (!inputs.endsWith(separator)) {
                throw new IllegalStateException(ggufName + ".inp does not end with the separator");
            }
            String[] texts = inputs.substring(0, inputs.length() - separator.length()).split(separator, -1);
            if (texts.length != outputs.size()) {
                throw new IllegalStateException(ggufName + ": " + texts.length + " inputs but "
                        + outputs.size() + " outputs");
            }
            List<VocabCase> cases = new ArrayList<>();
            for (int i = 0; i < texts.length; i++) {
                int[] ids = Arrays.stream(outputs.get(i).trim().split(" "))
                        .filter(id -> !id.isEmpty())
                        .mapToInt(Integer::parseInt)
                        .toArray();
                cases.add(new VocabCase(i, texts[i], ids));
            }
            return cases;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
