package dev.ggufserve.tokenizer;

import dev.ggufserve.gguf.GgufMetadata;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A hand-made SentencePiece vocabulary small enough to follow each merge in a test. */
final class SmallVocabulary {

    static final int UNKNOWN = 0;
    static final int BOS = 1;
    static final int EOS = 2;
    /** Byte tokens {@code <0x00>}..{@code <0xFF>} start here. */
    static final int FIRST_BYTE = 3;

    /** Normal pieces and their scores, after the byte tokens; higher scores merge first. */
    static final List<Object[]> PIECES = List.of(
            new Object[] {"\u2581", -1.0},
            new Object[] {"a", -2.0},
            new Object[] {"b", -2.0},
            new Object[] {"ab", -3.0},
            new Object[] {"aa", -4.0},
            new Object[] {"\u2581a", -5.0},
            new Object[] {"\u2581ab", -6.0});

    static final int SPACE = FIRST_BYTE + 256;
    static final int A = SPACE + 1;
    static final int B = SPACE + 2;
    static final int AB = SPACE + 3;
    static final int AA = SPACE + 4;
    static final int SPACE_A = SPACE + 5;
    static final int SPACE_AB = SPACE + 6;
    /** Control token {@code <|end|>}. */
    static final int END = SPACE + 7;
    /** User-defined token {@code <tool>}. */
    static final int TOOL = SPACE + 8;

    private SmallVocabulary() {
    }

    static GgufMetadata metadata(Map<String, Object> overrides) {
        List<String> tokens = new ArrayList<>(List.of("<unk>", "<s>", "</s>"));
        List<Double> scores = new ArrayList<>(List.of(0.0, 0.0, 0.0));
        List<Long> types = new ArrayList<>(List.of(2L, 3L, 3L));
        for (int b = 0; b < 256; b++) {
            tokens.add(String.format("<0x%02X>", b));
            scores.add(0.0);
            types.add(6L);
        }
        for (Object[] piece : PIECES) {
            tokens.add((String) piece[0]);
            scores.add((Double) piece[1]);
            types.add(1L);
        }
        tokens.add("<|end|>");
        scores.add(0.0);
        types.add(3L);
        tokens.add("<tool>");
        scores.add(0.0);
        types.add(4L);

        Map<String, Object> values = new HashMap<>();
        values.put("general.name", "small test vocabulary");
        values.put("tokenizer.ggml.model", "llama");
        values.put("tokenizer.ggml.tokens", tokens);
        values.put("tokenizer.ggml.scores", scores);
        values.put("tokenizer.ggml.token_type", types);
        values.put("tokenizer.ggml.bos_token_id", (long) BOS);
        values.put("tokenizer.ggml.eos_token_id", (long) EOS);
        values.put("tokenizer.ggml.unknown_token_id", (long) UNKNOWN);
        values.putAll(overrides);
        return new GgufMetadata(Path.of("small-vocabulary.gguf"), values);
    }

    static GgufTokenizer tokenizer() {
        return GgufTokenizer.fromMetadata(metadata(Map.of()));
    }
}
