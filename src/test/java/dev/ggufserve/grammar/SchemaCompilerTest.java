package dev.ggufserve.grammar;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static dev.ggufserve.grammar.MatchStateTest.schema;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SchemaCompilerTest {

    @ParameterizedTest
    @ValueSource(strings = {"pattern", "format", "minimum", "maximum", "exclusiveMinimum", "multipleOf", "oneOf",
            "allOf", "not", "patternProperties", "propertyNames", "minProperties", "uniqueItems", "prefixItems",
            "contains", "if", "dependentRequired", "unevaluatedProperties"})
    void unsupportedKeywordsAreRefusedByName(String keyword) {
        var error = assertThrows(SchemaException.class, () -> SchemaCompiler.compile(schema(
                "{\"type\": \"object\", \"properties\": {\"x\": {\"type\": \"string\", \"" + keyword + "\": 1}}}")));
        assertTrue(error.getMessage().contains("'" + keyword + "'"), error.getMessage());
        assertTrue(error.getMessage().contains("#/properties/x"), error.getMessage());
        assertFalse(error.tooLarge());
    }

    @Test
    void annotationsAreAccepted() {
        SchemaCompiler.compile(schema("""
                {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "T", "description": "d",
                 "type": "object", "properties": {"x": {"type": "string", "description": "an x", "default": "a"}}}"""));
    }

    @Test
    void malformedSchemasAreRefused() {
        for (String bad : new String[] {
                "{\"type\": \"text\"}",
                "{\"type\": \"object\", \"properties\": {}, \"required\": [\"x\"]}",
                "{\"$ref\": \"https://example.com/schema.json\"}",
                "{\"$ref\": \"#/$defs/missing\"}",
                "{\"$defs\": {\"a\": {\"anyOf\": [{\"$ref\": \"#/$defs/a\"}, {\"type\": \"null\"}]}}, \"$ref\": \"#/$defs/a\"}",
                "{\"type\": \"string\", \"minLength\": 5, \"maxLength\": 2}",
                "{\"type\": \"array\", \"items\": [{\"type\": \"string\"}]}",
                "{\"enum\": []}",
                "{\"type\": \"string\", \"enum\": [1, 2]}",
                "{\"type\": \"string\", \"anyOf\": [{\"maxLength\": 2}]}",
                "false"}) {
            assertThrows(SchemaException.class, () -> SchemaCompiler.compile(schema(bad)), bad);
        }
    }

    @Test
    void tooLargeSchemasAreRefusedAsSuch() {
        String values = IntStream.range(0, SchemaCompiler.MAX_NODES + 1).mapToObj(Integer::toString)
                .collect(Collectors.joining(","));
        var error = assertThrows(SchemaException.class,
                () -> SchemaCompiler.compile(schema("{\"enum\": [" + values + "]}")));
        assertTrue(error.tooLarge());
        assertTrue(error.getMessage().contains("too large"));
    }
}
