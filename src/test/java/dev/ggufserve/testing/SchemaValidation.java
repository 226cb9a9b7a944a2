package dev.ggufserve.testing;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;

import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** Checks generated JSON against its schema with an independent validator (networknt, draft 2020-12). */
public final class SchemaValidation {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonSchemaFactory FACTORY = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);

    private SchemaValidation() {
    }

    public static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (JsonProcessingException e) {
            return fail("not JSON: " + json, e);
        }
    }

    /** Parses {@code json} strictly (no trailing text) and asserts it conforms to {@code schema}. */
    public static JsonNode assertConforms(JsonNode schema, String json) {
        JsonNode instance = parse(json);
        Set<ValidationMessage> errors = FACTORY.getSchema(schema).validate(instance);
        assertEquals(Set.of(), errors, () -> "output does not conform to its schema: " + json);
        return instance;
    }
}
