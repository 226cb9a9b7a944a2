package dev.ggufserve.tokenizer;

import dev.ggufserve.tokenizer.Fixtures.VocabCase;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The byte-level BPE tokenizer against llama.cpp's own test vectors for the Llama 3 ({@code llama-bpe}), Qwen2
 * ({@code qwen2}) and GPT-2 ({@code gpt-2}) vocabularies: every case, with parse-special on and off.
 */
class ByteLevelBpeVectorTest {

    private static final Map<String, GgufTokenizer> TOKENIZERS = Map.of(
            Fixtures.LLAMA_BPE, GgufTokenizer.fromMetadata(Fixtures.metadata(Fixtures.LLAMA_BPE)),
            Fixtures.QWEN2, GgufTokenizer.fromMetadata(Fixtures.metadata(Fixtures.QWEN2)),
            Fixtures.GPT2, GgufTokenizer.fromMetadata(Fixtures.metadata(Fixtures.GPT2)));

    record NamedCase(String vocabulary, VocabCase vocabCase) {
        @Override
        public String toString() {
            return vocabulary + " " + vocabCase;
        }
    }

    static Stream<NamedCase> cases() {
        return Stream.of(Fixtures.LLAMA_BPE, Fixtures.QWEN2, Fixtures.GPT2)
                .flatMap(name -> Fixtures.vocabCases(name).stream().map(c -> new NamedCase(name, c)));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void matchesLlamaCpp(NamedCase named) {
        GgufTokenizer tokenizer = TOKENIZERS.get(named.vocabulary());
        VocabCase vocabCase = named.vocabCase();
        assertArrayEquals(vocabCase.expectedIds(), tokenizer.encode(vocabCase.input(), false, false));
        assertArrayEquals(vocabCase.expectedIds(), tokenizer.encode(vocabCase.input(), false, true));
    }

    /** Byte-level BPE is lossless: the tokens' bytes, whole or streamed, give the input back. */
    @ParameterizedTest
    @MethodSource("cases")
    void decodingGivesTheInputBack(NamedCase named) {
        GgufTokenizer tokenizer = TOKENIZERS.get(named.vocabulary());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        StringBuilder streamed = new StringBuilder();
        IncrementalDecoder decoder = tokenizer.newDecoder();
        for (int id : named.vocabCase().expectedIds()) {
            bytes.writeBytes(tokenizer.tokenBytes(id));
            streamed.append(decoder.accept(id));
        }
        streamed.append(decoder.finish());
        assertEquals(named.vocabCase().input(), bytes.toString(StandardCharsets.UTF_8));
        assertEquals(named.vocabCase().input(), streamed.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {Fixtures.LLAMA_BPE, Fixtures.QWEN2, Fixtures.GPT2})
    void everyFileHasAllItsCases(String vocabulary) {
        List<VocabCase> cases = Fixtures.vocabCases(vocabulary);
        assertEquals(46, cases.size(), vocabulary);
    }
}
