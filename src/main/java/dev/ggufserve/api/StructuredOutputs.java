package dev.ggufserve.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ggufserve.grammar.GrammarConstraint;
import dev.ggufserve.grammar.GrammarNode;
import dev.ggufserve.grammar.SchemaCompiler;
import dev.ggufserve.grammar.SchemaException;
import dev.ggufserve.grammar.TokenTrie;
import dev.ggufserve.sampling.TokenConstraint;
import dev.ggufserve.tokenizer.Tokenizer;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Turns {@code response_format} (and tool grammars) into token constraints for the served model. Holds the
 * vocabulary trie, built on first use and shared by every request.
 */
@ApplicationScoped
public class StructuredOutputs {

    /** The trie of the tokenizer it was built for (the served model has one tokenizer; tests may swap models). */
    private record VocabularyTrie(Tokenizer tokenizer, TokenTrie trie) {
    }

    private volatile VocabularyTrie vocabularyTrie;

    /** A constraint that keeps one generation inside {@code grammar}. */
    TokenConstraint constraint(GrammarNode grammar, Tokenizer tokenizer) {
        return new GrammarConstraint(grammar, trieOf(tokenizer));
    }

    private TokenTrie trieOf(Tokenizer tokenizer) {
        VocabularyTrie current = vocabularyTrie;
        if (current != null && current.tokenizer() == tokenizer) {
            return current.trie();
        }
        synchronized (this) {
            if (vocabularyTrie == null || vocabularyTrie.tokenizer() != tokenizer) {
                vocabularyTrie = new VocabularyTrie(tokenizer, TokenTrie.of(tokenizer));
            }
            return vocabularyTrie.trie();
        }
    }

    /**
     * The grammar {@code response_format} asks for: null for {@code text} (or none), any JSON object for
     * {@code json_object}, the compiled schema for {@code json_schema}.
     *
     * @throws InvalidRequestException for an unknown type, a missing schema, or a schema that cannot be honoured
     */
    static GrammarNode responseFormat(JsonNode format) {
        if (format == null || format.isNull()) {
            return null;
        }
        String type = format.path("type").asText("");
        return switch (type) {
            case "text" -> null;
            case "json_object" -> SchemaCompiler.anyObject();
            case "json_schema" -> {
                JsonNode jsonSchema = format.path("json_schema");
                if (!jsonSchema.isObject()) {
                    throw new InvalidRequestException("response_format.json_schema",
                            "Missing required parameter: 'response_format.json_schema'.");
                }
                if (!jsonSchema.path("name").isTextual()) {
                    throw new InvalidRequestException("response_format.json_schema.name",
                            "Missing required parameter: 'response_format.json_schema.name'.");
                }
                if (!jsonSchema.path("schema").isObject()) {
                    throw new InvalidRequestException("response_format.json_schema.schema",
                            "Invalid 'response_format.json_schema.schema': expected a JSON Schema object.");
                }
                yield compile(jsonSchema.get("schema"), "response_format.json_schema.schema");
            }
            default -> throw new InvalidRequestException("response_format.type", "Invalid value for "
                    + "'response_format.type': expected one of 'text', 'json_object' or 'json_schema', but got '"
                    + type + "'.");
        };
    }

    /** Compiles a schema, reporting what cannot be honoured as a 400 on {@code param}. */
    static GrammarNode compile(JsonNode schema, String param) {
        try {
            return SchemaCompiler.compile(schema);
        } catch (SchemaException e) {
            throw new InvalidRequestException(param, e.tooLarge() ? "schema_too_large" : "unsupported_schema",
                    "Invalid schema in '" + param + "': " + e.getMessage());
        }
    }
}
