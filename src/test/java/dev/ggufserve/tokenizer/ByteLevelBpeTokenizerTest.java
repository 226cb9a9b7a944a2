package dev.ggufserve.tokenizer;

import dev.ggufserve.gguf.GgufMetadata;
import dev.ggufserve.gguf.ModelFileException;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Special tokens, BOS and end-of-turn tokens of byte-level BPE vocabularies. Expected ids of the plain-text
 * parts come from llama.cpp (llama-oracle {@code tokenize} on the same files).
 */
class ByteLevelBpeTokenizerTest {

    private static final GgufMetadata LLAMA3_METADATA = Fixtures.metadata(Fixtures.LLAMA_BPE);
    private static final GgufTokenizer LLAMA3 = GgufTokenizer.fromMetadata(LLAMA3_METADATA);
    private static final GgufTokenizer QWEN2 = GgufTokenizer.fromMetadata(Fixtures.metadata(Fixtures.QWEN2));

    @Test
    void qwenChatTurnKeepsItsSpecialTokensWhole() {
        // llama.cpp: "user\nHéllo 12345 世界 🦙" -> 872,198,39,18503,385,220,16,17,18,19,20,220,99489,11162,99,247
        // and "\n" -> 198; digits one by one (qwen2 pre-tokenizer), no BOS.
        assertArrayEquals(new int[] {151644, 872, 198, 39, 18503, 385, 220, 16, 17, 18, 19, 20, 220, 99489, 11162,
                99, 247, 151645, 198}, QWEN2.encode("<|im_start|>user\nHéllo 12345 世界 🦙<|im_end|>\n", true, true));
        assertFalse(QWEN2.addsBos());
    }

    @Test
    void llama3ChatTurnKeepsItsSpecialTokensWholeAndAddsBos() {
        // llama.cpp: "user" -> 882; "\n\nHéllo 12345 世界 🦙" -> 271,39,19010,385,220,4513,1774,127365,11410,99,247
        // (digits in groups of three).
        assertArrayEquals(new int[] {128000, 128006, 882, 128007, 271, 39, 19010, 385, 220, 4513, 1774, 127365,
                11410, 99, 247, 128009}, LLAMA3.encode(
                "<|start_header_id|>user<|end_header_id|>\n\nHéllo 12345 世界 🦙<|eot_id|>", true, true));
        assertTrue(LLAMA3.addsBos());
        assertEquals("<|begin_of_text|>", LLAMA3.bosText());
    }

    @Test
    void specialTokenTextsAreTextWithoutParseSpecial() {
        // llama.cpp tokenizes "<|im_start|>user" without parse-special as 27,91,318,4906,91,29,872.
        assertArrayEquals(new int[] {27, 91, 318, 4906, 91, 29, 872}, QWEN2.encode("<|im_start|>user", false, false));
    }

    @Test
    void endOfTurnTokensEndGeneration() {
        assertTrue(LLAMA3.isEndOfGeneration(128009)); // <|eot_id|>
        assertTrue(LLAMA3.isEndOfGeneration(128001)); // <|end_of_text|>
        assertFalse(LLAMA3.isEndOfGeneration(128006)); // <|start_header_id|>
        assertTrue(QWEN2.isEndOfGeneration(151645)); // <|im_end|>
        assertTrue(QWEN2.isEndOfGeneration(151643)); // <|endoftext|>
        assertFalse(QWEN2.isEndOfGeneration(151644)); // <|im_start|>
        assertEquals("<|im_end|>", QWEN2.tokenText(151645));
        assertArrayEquals(new byte[0], QWEN2.tokenBytes(151645));
        assertEquals(" Hello", LLAMA3.tokenText(22691));
    }

    @Test
    void addBosTokenKeyDecides() {
        GgufTokenizer withoutBos = GgufTokenizer.fromMetadata(withOverride("tokenizer.ggml.add_bos_token", false));
        assertFalse(withoutBos.addsBos());
        assertArrayEquals(new int[] {9906}, withoutBos.encode("Hello", true, true));
    }

    @Test
    void unknownPreTokenizerStopsWithOneClearMessage() {
        ModelFileException error = assertThrows(ModelFileException.class,
                () -> GgufTokenizer.fromMetadata(withOverride("tokenizer.ggml.pre", "made-up-pre")));
        assertTrue(error.getMessage().contains("ggml-vocab-llama-bpe.gguf"), error.getMessage());
        assertTrue(error.getMessage().contains("tokenizer.ggml.pre 'made-up-pre' is not supported"), error.getMessage());
        assertTrue(error.getMessage().contains("llama-bpe"), error.getMessage());
    }

    @Test
    void encodesA4kTokenPromptQuickly() {
        String prompt = "<|start_header_id|>user<|end_header_id|>\n\n"
                + "The quick brown fox jumps over the lazy dog; ünïcödé 🦙 1234. ".repeat(250) + "<|eot_id|>";
        LLAMA3.encode(prompt, true, true);
        long start = System.nanoTime();
        int[] ids = LLAMA3.encode(prompt, true, true);
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(ids.length > 4000, "tokens: " + ids.length);
        assertTrue(millis < 500, ids.length + " tokens took " + millis + " ms");
    }

    private static GgufMetadata withOverride(String key, Object value) {
        Map<String, Object> values = new HashMap<>();
        for (String name : LLAMA3_METADATA.keys()) {
            values.put(name, LLAMA3_METADATA.get(name).orElseThrow());
        }
        values.put(key, value);
        return new GgufMetadata(LLAMA3_METADATA.file(), values);
    }
}
