package dev.ggufserve.grammar;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ggufserve.testing.SchemaValidation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MatchStateTest {

    static final String PERSON = """
            {"type": "object", "properties": {
               "name": {"type": "string", "maxLength": 12},
               "age": {"type": "integer"},
               "email": {"type": ["string", "null"]},
               "tags": {"type": "array", "items": {"enum": ["a", "b\\"c", 3]}, "minItems": 1, "maxItems": 2}},
             "required": ["name", "tags"], "additionalProperties": false}""";

    static final String TREE = """
            {"$defs": {"node": {"type": "object", "properties": {
                 "value": {"type": "number"},
                 "children": {"type": "array", "items": {"$ref": "#/$defs/node"}, "maxItems": 2}},
               "required": ["value", "children"], "additionalProperties": false}},
             "$ref": "#/$defs/node"}""";

    static JsonNode schema(String text) {
        return SchemaValidation.parse(text);
    }

    static boolean matches(GrammarNode grammar, String text) {
        MatchState state = MatchState.start(grammar).advance(text.getBytes(StandardCharsets.UTF_8));
        return state != null && state.accepting();
    }

    static boolean matches(String schema, String text) {
        return matches(SchemaCompiler.compile(schema(schema)), text);
    }

    @Test
    void objectsHoldTheirPropertiesInOrderWithOptionalOnesLeftOut() {
        assertTrue(matches(PERSON, "{\"name\":\"Ann\",\"tags\":[\"a\"]}"));
        assertTrue(matches(PERSON, "{\"name\": \"Ann\", \"age\": 42, \"email\": null, \"tags\": [3, \"b\\\"c\"]}"));
        assertTrue(matches(PERSON, "{ \"name\" : \"Ann\" , \"tags\" : [ \"a\" ] }"));
        assertFalse(matches(PERSON, "{\"tags\":[\"a\"]}"), "required name missing");
        assertFalse(matches(PERSON, "{\"name\":\"Ann\"}"), "required tags missing");
        assertFalse(matches(PERSON, "{\"name\":\"Ann\",\"tags\":[]}"), "minItems");
        assertFalse(matches(PERSON, "{\"name\":\"Ann\",\"tags\":[3,3,3]}"), "maxItems");
        assertFalse(matches(PERSON, "{\"name\":\"Ann\",\"tags\":[\"c\"]}"), "not in the enum");
        assertFalse(matches(PERSON, "{\"name\":\"Ann\",\"x\":1,\"tags\":[3]}"), "additional property");
        assertFalse(matches(PERSON, "{\"name\":\"Ann\",\"age\":1.5,\"tags\":[3]}"), "not an integer");
        assertFalse(matches(PERSON, "{  \"name\":\"Ann\",\"tags\":[3]}"), "at most one space");
        assertFalse(matches(PERSON, "{\n\"name\":\"Ann\",\"tags\":[3]}"), "no newlines");
        assertFalse(matches(PERSON, "{\"name\":\"Ann\",\"tags\":[3],}"), "trailing comma");
        assertFalse(matches(PERSON, "{\"name\":\"Ann\",\"tags\":[3]} "), "nothing after the value");
    }

    @Test
    void stringsTakeEscapesAndUtf8AndCountCodePoints() {
        String bounded = "{\"type\": \"string\", \"minLength\": 2, \"maxLength\": 3}";
        assertTrue(matches(bounded, "\"é😀\""));
        assertTrue(matches(bounded, "\"a\\n\\u00e9\""));
        assertTrue(matches(bounded, "\"\\\"\\\\\\/\""));
        assertFalse(matches(bounded, "\"abcd\""));
        assertFalse(matches(bounded, "\"a\""));
        String any = "{\"type\": \"string\"}";
        assertFalse(matches(any, "\"\\ud83d\\ude00\""), "surrogate escapes are not generated");
        assertTrue(matches(any, "\"\\uD7FF\\uE000\""));
        assertFalse(matches(any, "\"a\nb\""), "raw control characters");
        assertFalse(matches(any, "\"\\x\""), "unknown escape");
        assertFalse(MatchState.start(SchemaCompiler.compile(schema(any)))
                .advance(new byte[] {'"', (byte) 0xC0, (byte) 0x80, '"'}) != null, "overlong UTF-8");
        assertFalse(MatchState.start(SchemaCompiler.compile(schema(any)))
                .advance(new byte[] {'"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"'}) != null, "UTF-8 surrogate");
    }

    @Test
    void numbersFollowJsonsGrammar() {
        String number = "{\"type\": \"number\"}";
        for (String valid : List.of("0", "-0", "12", "-3.25", "1e5", "6.02E+23", "1.5e-7")) {
            assertTrue(matches(number, valid), valid);
        }
        for (String invalid : List.of("01", "+1", ".5", "1.", "1e", "-", "1.5.2", "1234567890123456")) {
            assertFalse(matches(number, invalid), invalid);
        }
        String integer = "{\"type\": \"integer\"}";
        assertTrue(matches(integer, "-42"));
        assertFalse(matches(integer, "4.0"));
        assertFalse(matches(integer, "4e2"));
    }

    @Test
    void recursiveReferencesAndAnyOf() {
        assertTrue(matches(TREE, "{\"value\":1,\"children\":[{\"value\":2,\"children\":[]}]}"));
        assertFalse(matches(TREE, "{\"value\":1,\"children\":[{\"value\":2}]}"));
        String nullableChoice = "{\"anyOf\": [{\"type\": \"integer\"}, {\"const\": \"none\"}, {\"type\": \"null\"}]}";
        assertTrue(matches(nullableChoice, "7"));
        assertTrue(matches(nullableChoice, "\"none\""));
        assertTrue(matches(nullableChoice, "null"));
        assertFalse(matches(nullableChoice, "\"other\""));
    }

    @Test
    void anyObjectIsJsonObjectMode() {
        GrammarNode object = SchemaCompiler.anyObject();
        assertTrue(matches(object, "{\"a\": [1, {\"b\": null}, \"x\", true], \"c\": -1.5e3}"));
        assertTrue(matches(object, "{}"));
        assertFalse(matches(object, "[1]"));
        assertFalse(matches(object, "{\"a\" 1}"));
    }

    @Test
    void completeOutputIsFinishedOnlyWhenNothingMayFollow() {
        MatchState object = MatchState.start(SchemaCompiler.anyObject()).advance("{\"a\":1}".getBytes());
        assertTrue(object.finished());
        MatchState number = MatchState.start(SchemaCompiler.compile(schema("{\"type\": \"integer\"}")))
                .advance("12".getBytes());
        assertTrue(number.accepting());
        assertFalse(number.finished(), "more digits may follow");
    }

    @Test
    void freeTextExcludesOnlyItsForbiddenPrefix() {
        GrammarNode text = new GrammarNode.FreeText("<call>".getBytes());
        assertTrue(matches(text, ""));
        assertTrue(matches(text, "<cal"));
        assertTrue(matches(text, "<calm> and then <call>"));
        assertFalse(matches(text, "<call>"));
        assertTrue(MatchState.start(text).advance("<x".getBytes()).unconstrained());
    }

    /** Random walks over the allowed bytes: whatever path is taken, the finished text conforms to the schema. */
    @ParameterizedTest
    @ValueSource(strings = {PERSON, TREE, "{\"type\": \"array\", \"items\": {\"type\": \"number\"}, \"maxItems\": 4}",
            "{\"type\": \"object\", \"additionalProperties\": {\"type\": \"boolean\"}}",
            "{\"anyOf\": [{\"type\": \"string\", \"maxLength\": 5}, {\"type\": \"integer\"}]}"})
    void randomWalksAlwaysConform(String schemaText) {
        JsonNode schema = schema(schemaText);
        GrammarNode grammar = SchemaCompiler.compile(schema);
        var random = new SplittableRandom(7);
        for (int walk = 0; walk < 200; walk++) {
            String text = randomWalk(grammar, random);
            SchemaValidation.assertConforms(schema, text);
        }
    }

    /** Picks random allowed bytes (printable ASCII and some UTF-8) until the match may end, then often ends. */
    static String randomWalk(GrammarNode grammar, SplittableRandom random) {
        MatchState state = MatchState.start(grammar);
        var text = new ByteArrayOutputStream();
        for (int step = 0; step < 2_000; step++) {
            if (state.accepting() && (state.finished() || random.nextInt(4) == 0 || step > 400)) {
                return text.toString(StandardCharsets.UTF_8);
            }
            List<Byte> allowed = new ArrayList<>();
            for (int b = 0; b < 256; b++) {
                if (state.advance((byte) b) != null) {
                    allowed.add((byte) b);
                }
            }
            assertFalse(allowed.isEmpty(), () -> "stuck after " + text);
            // Prefer structural bytes late in the walk, so that walks end.
            byte next = allowed.get(random.nextInt(allowed.size()));
            if (step > 200) {
                for (byte closing : new byte[] {'"', ']', '}'}) {
                    if (allowed.contains(closing)) {
                        next = closing;
                        break;
                    }
                }
            }
            text.write(next);
            state = state.advance(next);
            assertNotNull(state);
        }
        throw new AssertionError("the walk did not end: " + text.toString(StandardCharsets.UTF_8));
    }

    @Test
    void startStateOfAnEmptyChoiceIsRefused() {
        assertEquals("the grammar matches nothing", org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class, () -> MatchState.start(new GrammarNode.Choice(List.of()))).getMessage());
    }
}
