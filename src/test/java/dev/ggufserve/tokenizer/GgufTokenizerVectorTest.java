package dev.ggufserve.tokenizer;

import dev.ggufserve.tokenizer.Fixtures.VocabCase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The GGUF tokenizer against llama.cpp: its test vectors for the Phi-3 and Llama 2 vocabularies, and
 * special-token cases answered by llama.cpp (node-llama-cpp 3.21.1's build, through the project's
 * llama-oracle tool with parse-special on and off).
 */
class GgufTokenizerVectorTest {

    private static final GgufTokenizer PHI3 = GgufTokenizer.fromMetadata(Fixtures.metadata(Fixtures.PHI3));
    private static final GgufTokenizer LLAMA_SPM =
            GgufTokenizer.fromMetadata(Fixtures.metadata(Fixtures.LLAMA_SPM));

    static List<VocabCase> phi3Cases() {
        return Fixtures.vocabCases(Fixtures.PHI3);
    }

    static List<VocabCase> llamaSpmCases() {
        return Fixtures.vocabCases(Fixtures.LLAMA_SPM);
    }

    @Test
    void bothVectorFilesHave46Cases() {
        assertEquals(46, phi3Cases().size());
        assertEquals(46, llamaSpmCases().size());
    }

    @ParameterizedTest
    @MethodSource("phi3Cases")
    void phi3MatchesLlamaCpp(VocabCase vocabCase) {
        assertArrayEquals(vocabCase.expectedIds(), PHI3.encode(vocabCase.input(), false, false));
        assertArrayEquals(vocabCase.expectedIds(), PHI3.encode(vocabCase.input(), false, true));
    }

    @ParameterizedTest
    @MethodSource("llamaSpmCases")
    void llamaSpmMatchesLlamaCpp(VocabCase vocabCase) {
        assertArrayEquals(vocabCase.expectedIds(), LLAMA_SPM.encode(vocabCase.input(), false, false));
    }

    /** Byte fallback makes SentencePiece lossless: decoding gives the input back after the space prefix. */
    @ParameterizedTest
    @MethodSource("phi3Cases")
    void decodingGivesTheInputBack(VocabCase vocabCase) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        StringBuilder streamed = new StringBuilder();
        IncrementalDecoder decoder = PHI3.newDecoder();
        for (int id : vocabCase.expectedIds()) {
            bytes.writeBytes(PHI3.tokenBytes(id));
            streamed.append(decoder.accept(id));
        }
        streamed.append(decoder.finish());
        String expected = vocabCase.input().isEmpty() ? "" : " " + vocabCase.input();
        assertEquals(expected, bytes.toString(StandardCharsets.UTF_8));
        assertEquals(expected, streamed.toString());
    }

    @Test
    void addsBosForBothVocabularies() {
        assertArrayEquals(new int[] {1, 15043, 3186}, PHI3.encode("Hello world", true, true));
        assertArrayEquals(new int[] {1, 15043, 3186}, LLAMA_SPM.encode("Hello world", true, true));
    }

    @Test
    void phi3ChatPromptMatchesLlamaCpp() {
        // Phi-3's chat tokens swallow the whitespace after them, and the text after every special token
        // gets the space prefix: "Hello" is "▁Hello" (15043).
        assertArrayEquals(new int[] {1, 32010, 15043, 32007, 32001},
                PHI3.encode("<|user|>\nHello<|end|>\n<|assistant|>\n", true, true));
        assertArrayEquals(new int[] {1, 32006, 1522, 7575, 29889, 32007, 32010, 6324, 727, 29871, 32007, 32001},
                PHI3.encode("<|system|>\nBe nice.<|end|>\n<|user|>\n  Hi there <|end|>\n<|assistant|>", true, true));
        assertArrayEquals(new int[] {921, 13, 32007, 343}, PHI3.encode("x\n<|end|>  \n\ny", false, true));
        assertArrayEquals(new int[] {263, 29871, 32007, 289}, PHI3.encode("a <|end|> b", false, true));
        // <|endoftext|> keeps the whitespace after it.
        assertArrayEquals(new int[] {6324, 32000, 29871, 921}, PHI3.encode("Hi<|endoftext|> x", false, true));
        assertArrayEquals(new int[] {263, 2, 289}, PHI3.encode("a</s> b", false, true));
    }

    @Test
    void specialTokensAreTextWithoutParseSpecial() {
        assertArrayEquals(new int[] {529, 29989, 1792, 29989, 29958, 18567}, PHI3.encode("<|user|>Hi", false, false));
        assertArrayEquals(new int[] {263, 829, 29879, 29958, 289}, PHI3.encode("a</s> b", false, false));
        assertArrayEquals(new int[] {529, 29879, 29958, 18567}, LLAMA_SPM.encode("<s>Hi", false, false));
    }

    @Test
    void llamaSpecialTokensKeepTheWhitespaceAfterThem() {
        assertArrayEquals(new int[] {1, 6324}, LLAMA_SPM.encode("<s>Hi", false, true));
        assertArrayEquals(new int[] {263, 2, 29871, 289}, LLAMA_SPM.encode("a</s> b", false, true));
        assertArrayEquals(new int[] {0, 921}, LLAMA_SPM.encode("<unk>x", false, true));
    }

    @Test
    void phi3SpecialIdsAndEndOfGeneration() {
        assertEquals(32064, PHI3.vocabularySize());
        assertEquals(1, PHI3.bosId());
        assertEquals(32000, PHI3.eosId());
        assertEquals("<s>", PHI3.bosText());
        assertEquals("<|endoftext|>", PHI3.eosText());
        assertTrue(PHI3.isEndOfGeneration(32000));
        assertTrue(PHI3.isEndOfGeneration(32007));
        assertTrue(PHI3.isEndOfGeneration(2));
        assertFalse(PHI3.isEndOfGeneration(32001));
        assertFalse(PHI3.isEndOfGeneration(13));
        assertEquals("<|end|>", PHI3.tokenText(32007));
        assertArrayEquals(new byte[0], PHI3.tokenBytes(32007));
        assertEquals("\n", PHI3.tokenText(13));
        assertEquals(" Hello", PHI3.tokenText(15043));
    }

    @Test
    void encodesA4kTokenPromptQuickly() {
        String prompt = "<|user|>\n" + "The quick brown fox jumps over the lazy dog; ünïcödé 🦙 1234. ".repeat(250)
                + "<|end|>\n<|assistant|>\n";
        PHI3.encode(prompt, true, true);
        long start = System.nanoTime();
        int[] ids = PHI3.encode(prompt, true, true);
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(ids.length > 4000, "tokens: " + ids.length);
        assertTrue(millis < 500, ids.length + " tokens took " + millis + " ms");
    }
}
