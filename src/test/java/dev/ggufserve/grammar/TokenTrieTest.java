package dev.ggufserve.grammar;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ggufserve.testing.SchemaValidation;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenTrieTest {

    /** Single bytes plus tokens that span several JSON tokens, a control token (no bytes) and EOS last. */
    static final List<String> PIECES = List.of("{\"", "\":", "\": ", "\",\"", "\"}", "\"},{\"", "name", "nam", "na",
            " \"", "true", "tr", "null", "12", "1.5", "e+", "é", "😀", "\\u00", "\\n", "]}", "[{\"", "value",
            "children", "\":[", "\":[]}", ", \"", "\"]", "tags", "a\"", "\\\"");
    static final byte[][] VOCABULARY = vocabulary();
    static final int CONTROL = VOCABULARY.length - 2;
    static final int EOS = VOCABULARY.length - 1;

    static byte[][] vocabulary() {
        List<byte[]> tokens = new ArrayList<>();
        for (int b = 0; b < 256; b++) {
            tokens.add(new byte[] {(byte) b});
        }
        PIECES.forEach(piece -> tokens.add(piece.getBytes(StandardCharsets.UTF_8)));
        tokens.add("12".getBytes(StandardCharsets.UTF_8)); // a duplicate text, as vocabularies sometimes have
        tokens.add(new byte[0]);
        tokens.add(new byte[0]);
        return tokens.toArray(byte[][]::new);
    }

    static TokenTrie trie() {
        return TokenTrie.of(VOCABULARY, new int[] {EOS});
    }

    /** The mask the trie computes equals checking every token on its own, in every state random walks reach. */
    @Test
    void masksEqualBruteForce() {
        TokenTrie trie = trie();
        var random = new SplittableRandom(3);
        BitSet allowed = new BitSet();
        for (String schemaText : List.of(MatchStateTest.PERSON, MatchStateTest.TREE)) {
            GrammarNode grammar = SchemaCompiler.compile(MatchStateTest.schema(schemaText));
            for (int walk = 0; walk < 30; walk++) {
                String text = MatchStateTest.randomWalk(grammar, random);
                byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
                MatchState state = MatchState.start(grammar);
                for (int i = 0; i <= bytes.length; i++) {
                    int count = trie.allowedTokens(state, allowed);
                    BitSet expected = bruteForce(state);
                    assertEquals(expected, allowed, "after " + new String(bytes, 0, i, StandardCharsets.UTF_8));
                    assertEquals(expected.cardinality(), count);
                    assertTrue(count > 0, "the mask never removes every token");
                    if (i < bytes.length) {
                        state = state.advance(bytes[i]);
                    }
                }
            }
        }
    }

    static BitSet bruteForce(MatchState state) {
        BitSet allowed = new BitSet();
        for (int id = 0; id < VOCABULARY.length; id++) {
            boolean text = VOCABULARY[id].length > 0 && state.advance(VOCABULARY[id]) != null;
            if (text || id == EOS && state.accepting()) {
                allowed.set(id);
            }
        }
        return allowed;
    }

    /** Sampling uniformly among the allowed tokens, as a random model would, always gives conforming JSON. */
    @Test
    void randomTokensThroughTheConstraintConform() {
        JsonNode schema = MatchStateTest.schema(MatchStateTest.PERSON);
        var random = new SplittableRandom(11);
        for (int run = 0; run < 100; run++) {
            var constraint = new GrammarConstraint(SchemaCompiler.compile(schema), trie());
            var output = new ByteArrayOutputStream();
            float[] logits = new float[VOCABULARY.length];
            for (int step = 0; step < 500 && !constraint.complete(); step++) {
                // Late in the run, favour tokens that close strings and structures, so runs end.
                for (int id = 0; id < logits.length; id++) {
                    logits[id] = step > 60 && new String(VOCABULARY[id], StandardCharsets.ISO_8859_1)
                            .matches(".*[\"\\]}].*") ? 5f : 0f;
                }
                float[] masked = constraint.mask(logits);
                int token = sample(masked, random);
                constraint.accept(token);
                if (token == EOS) {
                    break;
                }
                output.writeBytes(VOCABULARY[token]);
            }
            assertTrue(constraint.accepting());
            SchemaValidation.assertConforms(schema, output.toString(StandardCharsets.UTF_8));
        }
    }

    @Test
    void endOfGenerationOnlyWhereTheOutputIsCompleteAndControlTokensNever() {
        var constraint = new GrammarConstraint(SchemaCompiler.compile(MatchStateTest.schema("{\"type\": \"integer\"}")),
                trie());
        float[] logits = new float[VOCABULARY.length];
        float[] masked = constraint.mask(logits);
        assertEquals(Float.NEGATIVE_INFINITY, masked[EOS]);
        assertEquals(Float.NEGATIVE_INFINITY, masked[CONTROL]);
        assertEquals(0f, masked['7']);
        assertEquals(Float.NEGATIVE_INFINITY, masked['a']);
        constraint.accept('7');
        masked = constraint.mask(logits);
        assertEquals(0f, masked[EOS]);
        assertEquals(0f, masked['1']);
        assertEquals(Float.NEGATIVE_INFINITY, masked[CONTROL]);
        assertTrue(Arrays.equals(new float[VOCABULARY.length], logits), "the caller's logits are untouched");
    }

    private static int sample(float[] logits, SplittableRandom random) {
        double total = 0;
        double[] weights = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            weights[i] = Math.exp(logits[i]);
            total += weights[i];
        }
        double target = random.nextDouble() * total;
        for (int i = 0; i < logits.length; i++) {
            target -= weights[i];
            if (target < 0 && weights[i] > 0) {
                return i;
            }
        }
        for (int i = logits.length - 1; ; i--) {
            if (weights[i] > 0) {
                return i;
            }
        }
    }
}
