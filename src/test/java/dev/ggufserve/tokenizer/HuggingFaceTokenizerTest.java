package dev.ggufserve.tokenizer;

import dev.ggufserve.gguf.GgufMetadata;
import dev.ggufserve.tokenizer.Fixtures.VocabCase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Phi-3's Hugging Face tokenizer.json (through DJL) against the Phi-3 GGUF vocabulary.
 *
 * <p>They agree on every llama.cpp test vector and on Phi-3 chat prompts (special tokens, the whitespace
 * they swallow, the space prefix after them). The one difference found: the GGUF's 53 filler tokens
 * {@code [PAD32011]}..{@code [PAD32063]} are "unknown"-type entries, which llama.cpp (and so the GGUF
 * tokenizer) recognises in text with parse-special on, while tokenizer.json does not list them and spells
 * them out as ordinary text.
 */
class HuggingFaceTokenizerTest {

    private static final GgufMetadata PHI3_METADATA = Fixtures.metadata(Fixtures.PHI3);
    private static final GgufTokenizer GGUF = GgufTokenizer.fromMetadata(PHI3_METADATA);
    private static final Path TOKENIZER_JSON = Fixtures.path("phi3-mini-tokenizer/tokenizer.json");
    private static final HuggingFaceTokenizer HF = HuggingFaceTokenizer.open(TOKENIZER_JSON, GGUF);

    @AfterAll
    static void closeNativeTokenizer() {
        HF.close();
    }

    static List<VocabCase> phi3Cases() {
        return Fixtures.vocabCases(Fixtures.PHI3);
    }

    @ParameterizedTest
    @MethodSource("phi3Cases")
    void agreesWithLlamaCppOnEveryVector(VocabCase vocabCase) {
        assertArrayEquals(vocabCase.expectedIds(), HF.encode(vocabCase.input(), false, true));
        assertArrayEquals(vocabCase.expectedIds(), HF.encode(vocabCase.input(), false, false));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "<|user|>\nHello<|end|>\n<|assistant|>\n",
        "<s><|system|>\nBe nice.<|end|>\n<|user|>\n  Hi there <|end|>\n<|assistant|>",
        "x\n<|end|>  \n\ny",
        "a </s> b",
        "Hi<|endoftext|> x",
        "<|user|>Hi",
        "<unk>x",
        "   x"})
    void agreesWithTheGgufTokenizerAroundSpecialTokens(String text) {
        assertArrayEquals(GGUF.encode(text, true, true), HF.encode(text, true, true));
    }

    @Test
    void differsOnTheGgufsFillerTokens() {
        assertArrayEquals(new int[] {1, 32011, 921}, GGUF.encode("[PAD32011] x", true, true));
        int[] hf = HF.encode("[PAD32011] x", true, true);
        assertEquals(11, hf.length);
        assertTrue(Arrays.stream(hf).noneMatch(id -> id == 32011), Arrays.toString(hf));
    }

    @Test
    void withoutParseSpecialSpecialTokenTextIsOrdinaryText() {
        assertArrayEquals(new int[] {529, 29989, 1792, 29989, 29958, 18567}, HF.encode("<|user|>Hi", false, false));
    }

    @Test
    void addsBosAndDoesNotTruncateLongTexts() {
        String longText = "Hello world, this is a long prompt. ".repeat(300);
        int[] ids = HF.encode(longText, true, true);
        assertTrue(ids.length > 2000, "tokens: " + ids.length);
        assertEquals(1, ids[0]);
        assertArrayEquals(GGUF.encode(longText, true, true), ids);
    }

    @Test
    void decodingAndSpecialIdsComeFromTheGgufVocabulary() {
        assertEquals(32064, HF.vocabularySize());
        assertTrue(HF.addsBos());
        assertEquals(1, HF.bosId());
        assertEquals(32000, HF.eosId());
        assertEquals("<s>", HF.bosText());
        assertEquals("<|endoftext|>", HF.eosText());
        assertTrue(HF.isEndOfGeneration(32007));
        assertEquals("<|end|>", HF.tokenText(32007));
        assertArrayEquals(GGUF.tokenBytes(15043), HF.tokenBytes(15043));
        IncrementalDecoder decoder = HF.newDecoder();
        assertEquals(" Hello", decoder.accept(15043));
        assertEquals("", decoder.accept(32007));
    }

    @Test
    void loadsThroughTokenizers() {
        try (HuggingFaceTokenizer loaded = assertInstanceOf(HuggingFaceTokenizer.class,
                Tokenizers.load(PHI3_METADATA, Optional.of(TOKENIZER_JSON)))) {
            assertArrayEquals(new int[] {1, 15043, 3186}, loaded.encode("Hello world", true, true));
        }
        assertInstanceOf(GgufTokenizer.class, Tokenizers.load(PHI3_METADATA, Optional.empty()));
    }

    @Test
    void missingOrBrokenTokenizerJsonIsAClearError() {
        Path missing = Path.of("no-such-dir/tokenizer.json");
        IllegalArgumentException notThere = assertThrows(IllegalArgumentException.class,
                () -> Tokenizers.load(PHI3_METADATA, Optional.of(missing)));
        assertEquals("Hugging Face tokenizer file no-such-dir/tokenizer.json does not exist or is not a readable file",
                notThere.getMessage());

        Path notATokenizer = Fixtures.path("phi3-mini-tokenizer/tokenizer_config.json");
        IllegalArgumentException broken = assertThrows(IllegalArgumentException.class,
                () -> Tokenizers.load(PHI3_METADATA, Optional.of(notATokenizer)));
        assertTrue(broken.getMessage().startsWith("cannot load Hugging Face tokenizer file " + notATokenizer),
                broken.getMessage());
    }
}
