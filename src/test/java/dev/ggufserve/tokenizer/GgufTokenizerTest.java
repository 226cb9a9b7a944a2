package dev.ggufserve.tokenizer;

import dev.ggufserve.gguf.GgufMetadata;
import dev.ggufserve.gguf.ModelFileException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

import static dev.ggufserve.tokenizer.SmallVocabulary.A;
import static dev.ggufserve.tokenizer.SmallVocabulary.AA;
import static dev.ggufserve.tokenizer.SmallVocabulary.AB;
import static dev.ggufserve.tokenizer.SmallVocabulary.B;
import static dev.ggufserve.tokenizer.SmallVocabulary.BOS;
import static dev.ggufserve.tokenizer.SmallVocabulary.END;
import static dev.ggufserve.tokenizer.SmallVocabulary.EOS;
import static dev.ggufserve.tokenizer.SmallVocabulary.FIRST_BYTE;
import static dev.ggufserve.tokenizer.SmallVocabulary.SPACE;
import static dev.ggufserve.tokenizer.SmallVocabulary.SPACE_AB;
import static dev.ggufserve.tokenizer.SmallVocabulary.TOOL;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GgufTokenizerTest {

    private final GgufTokenizer tokenizer = SmallVocabulary.tokenizer();

    @Test
    void mergesHighestScoringPairFirst() {
        // "▁ab": "ab" (-3) beats "▁a" (-5), then "▁" + "ab" forms "▁ab".
        assertArrayEquals(new int[] {SPACE_AB}, tokenizer.encode("ab", false, false));
    }

    @Test
    void breaksScoreTiesByTheLeftmostPair() {
        // "aaa" has two "aa" pairs with equal scores: the left one merges.
        assertArrayEquals(new int[] {SPACE, AA, A}, tokenizer.encode("aaa", false, false));
    }

    @Test
    void fallsBackToByteTokensForUnknownCharacters() {
        // "é" is not in the vocabulary: its UTF-8 bytes C3 A9 become byte tokens.
        assertArrayEquals(new int[] {SPACE, FIRST_BYTE + 0xC3, FIRST_BYTE + 0xA9}, tokenizer.encode("é", false, false));
    }

    @Test
    void addsBosWhenAskedAndTheModelWantsIt() {
        assertTrue(tokenizer.addsBos());
        assertArrayEquals(new int[] {BOS, SPACE, B}, tokenizer.encode("b", true, false));
        GgufTokenizer noBos = GgufTokenizer.fromMetadata(
                SmallVocabulary.metadata(Map.of("tokenizer.ggml.add_bos_token", false)));
        assertFalse(noBos.addsBos());
        assertArrayEquals(new int[] {SPACE, B}, noBos.encode("b", true, false));
    }

    @Test
    void spacePrefixCanBeTurnedOff() {
        GgufTokenizer noPrefix = GgufTokenizer.fromMetadata(
                SmallVocabulary.metadata(Map.of("tokenizer.ggml.add_space_prefix", false)));
        assertArrayEquals(new int[] {AB}, noPrefix.encode("ab", false, false));
    }

    @Test
    void controlTokensAreTextWithoutParseSpecial() {
        assertArrayEquals(new int[] {SPACE, B, END, SPACE, B}, tokenizer.encode("b<|end|>b", false, true));
        // Without parseSpecial the text is merged like any other: "▁", then the 7 characters as bytes.
        int[] plain = tokenizer.encode("<|end|>", false, false);
        assertEquals(8, plain.length);
        assertEquals(SPACE, plain[0]);
        assertEquals(FIRST_BYTE + '<', plain[1]);
    }

    @Test
    void userDefinedTokensAreKeptWholeEvenWithoutParseSpecial() {
        assertArrayEquals(new int[] {SPACE, B, TOOL}, tokenizer.encode("b<tool>", false, false));
    }

    @Test
    void emptyTextHasNoTokens() {
        assertArrayEquals(new int[0], tokenizer.encode("", false, true));
        assertArrayEquals(new int[] {BOS}, tokenizer.encode("", true, true));
    }

    @Test
    void tokenBytesAndTextByKind() {
        assertArrayEquals(" ab".getBytes(StandardCharsets.UTF_8), tokenizer.tokenBytes(SPACE_AB));
        assertArrayEquals(new byte[] {0x41}, tokenizer.tokenBytes(FIRST_BYTE + 0x41));
        assertArrayEquals(new byte[0], tokenizer.tokenBytes(END));
        assertEquals("<|end|>", tokenizer.tokenText(END));
        assertArrayEquals("<tool>".getBytes(StandardCharsets.UTF_8), tokenizer.tokenBytes(TOOL));
        assertEquals("\uFFFD", tokenizer.tokenText(FIRST_BYTE + 0xC3));
        assertEquals("<s>", tokenizer.bosText());
        assertEquals("</s>", tokenizer.eosText());
        var outside = assertThrows(IllegalArgumentException.class,
                () -> tokenizer.tokenBytes(tokenizer.vocabularySize()));
        assertTrue(outside.getMessage().contains("outside the vocabulary"), outside.getMessage());
    }

    @Test
    void endOfGenerationIsEosAndEndOfTurnTexts() {
        assertTrue(tokenizer.isEndOfGeneration(EOS));
        assertTrue(tokenizer.isEndOfGeneration(END));
        assertFalse(tokenizer.isEndOfGeneration(BOS));
        assertFalse(tokenizer.isEndOfGeneration(A));
        assertFalse(tokenizer.isEndOfGeneration(-1));
    }

    @Test
    void noneTokenIdsReadAsAbsent() {
        GgufTokenizer withoutBos = GgufTokenizer.fromMetadata(
                SmallVocabulary.metadata(Map.of("tokenizer.ggml.bos_token_id", 0xFFFFFFFFL)));
        assertEquals(-1, withoutBos.bosId());
        assertFalse(withoutBos.addsBos());
        assertEquals("", withoutBos.bosText());
    }

    @Test
    void rejectsUnsupportedOrMissingTokenizers() {
        var bert = assertThrows(ModelFileException.class, () -> GgufTokenizer.fromMetadata(
                SmallVocabulary.metadata(Map.of("tokenizer.ggml.model", "bert"))));
        assertEquals("Model file small-vocabulary.gguf: tokenizer.ggml.model 'bert' is not supported: only"
                + " SentencePiece ('llama') and byte-level BPE ('gpt2') vocabularies are", bert.getMessage());
        var gpt2WithoutPre = assertThrows(ModelFileException.class, () -> GgufTokenizer.fromMetadata(
                SmallVocabulary.metadata(Map.of("tokenizer.ggml.model", "gpt2"))));
        assertTrue(gpt2WithoutPre.getMessage().startsWith("Model file small-vocabulary.gguf: its byte-level BPE"
                + " vocabulary names no pre-tokenizer (metadata key 'tokenizer.ggml.pre' is missing); supported: "),
                gpt2WithoutPre.getMessage());
        var bare = assertThrows(ModelFileException.class,
                () -> GgufTokenizer.fromMetadata(new GgufMetadata(Path.of("bare.gguf"), Map.of())));
        assertEquals("Model file bare.gguf: it has no tokenizer (metadata key 'tokenizer.ggml.model' is missing)",
                bare.getMessage());
    }

    @Test
    void encodesLongTextsQuickly() {
        String text = "ab aab ba é ".repeat(2000);
        long start = System.nanoTime();
        int[] ids = tokenizer.encode(text, true, true);
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(ids.length > 4000, "tokens: " + ids.length);
        assertTrue(millis < 2000, "encoding " + ids.length + " tokens took " + millis + " ms");
    }
}
