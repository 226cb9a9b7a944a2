package dev.ggufserve.grammar;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ggufserve.grammar.GrammarNode.AnyJson;
import dev.ggufserve.grammar.GrammarNode.Choice;
import dev.ggufserve.grammar.GrammarNode.JsonArray;
import dev.ggufserve.grammar.GrammarNode.JsonNumber;
import dev.ggufserve.grammar.GrammarNode.JsonObject;
import dev.ggufserve.grammar.GrammarNode.JsonString;
import dev.ggufserve.grammar.GrammarNode.Literal;
import dev.ggufserve.grammar.GrammarNode.Property;
import dev.ggufserve.grammar.GrammarNode.Reference;

import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Compiles a JSON Schema into a {@link GrammarNode} that generates only instances of the schema. Every keyword is
 * either honoured exactly or refused with a {@link SchemaException} naming it; annotations (title, description,
 * ...) are ignored because they constrain nothing.
 *
 * <p>Supported: {@code type} (a name or an array of names), {@code properties}, {@code required},
 * {@code additionalProperties}, {@code items}, {@code minItems}, {@code maxItems}, {@code minLength},
 * {@code maxLength}, {@code enum}, {@code const}, {@code anyOf}, {@code $ref} to {@code #}, {@code #/$defs/...}
 * or {@code #/definitions/...}. Objects are generated with their declared properties in schema order (optional
 * ones possibly left out); extra properties are generated only for objects that declare none.
 */
public final class SchemaCompiler {

    /** Nodes one schema may compile to; larger schemas are refused rather than slowing every token. */
    public static final int MAX_NODES = 5_000;
    /** Nesting of the schema document itself. */
    static final int MAX_SCHEMA_DEPTH = 64;

    private static final Set<String> ANNOTATIONS = Set.of("title", "description", "$schema", "$id", "$comment",
            "default", "examples", "deprecated", "readOnly", "writeOnly", "$defs", "definitions");
    private static final Set<String> SUPPORTED = Set.of("type", "properties", "required", "additionalProperties",
            "items", "minItems", "maxItems", "minLength", "maxLength", "enum", "const", "anyOf", "$ref");
    private static final List<String> TYPES = List.of("object", "array", "string", "number", "integer", "boolean",
            "null");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final JsonNode root;
    private final Map<String, Reference> references = new HashMap<>();
    private final Map<String, JsonNode> pendingReferences = new HashMap<>();
    private int nodes;

    private SchemaCompiler(JsonNode root) {
        this.root = root;
    }

    /**
     * @throws SchemaException when the schema uses a keyword that is not supported, is malformed, or is too large
     */
    public static GrammarNode compile(JsonNode schema) {
        var compiler = new SchemaCompiler(schema);
        GrammarNode compiled = compiler.compile(schema, "#", 0);
        compiler.resolveReferences();
        return compiled;
    }

    /** Any JSON object ({@code response_format: json_object}). */
    public static GrammarNode anyObject() {
        return new JsonObject(List.of(), new AnyJson());
    }

    /** {@code text} as a literal node. */
    public static Literal literal(String text) {
        return new Literal(text.getBytes(StandardCharsets.UTF_8));
    }

    /** The compact JSON text of {@code value}, as a literal node. */
    public static Literal jsonLiteral(JsonNode value) {
        try {
            return new Literal(JSON.writeValueAsBytes(value));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private GrammarNode compile(JsonNode schema, String path, int depth) {
        if (++nodes > MAX_NODES) {
            throw new SchemaException("The schema is too large: it compiles to more than " + MAX_NODES
                    + " grammar nodes.", true);
        }
        if (depth > MAX_SCHEMA_DEPTH) {
            throw new SchemaException("The schema nests deeper than " + MAX_SCHEMA_DEPTH + " levels at " + path
                    + ".", true);
        }
        if (schema.isBoolean()) {
            if (schema.booleanValue()) {
                return new AnyJson();
            }
            throw new SchemaException("The schema 'false' at " + path + " allows no value.");
        }
        if (!schema.isObject()) {
            throw new SchemaException("Expected a schema object at " + path + ".");
        }
        for (Iterator<String> names = schema.fieldNames(); names.hasNext(); ) {
            String keyword = names.next();
            if (!SUPPORTED.contains(keyword) && !ANNOTATIONS.contains(keyword)) {
                throw new SchemaException("Unsupported JSON Schema keyword '" + keyword + "' at " + path
                        + ": it is not enforced by constrained decoding.");
            }
        }
        if (schema.has("$ref")) {
            requireOnly(schema, path, "$ref");
            return reference(schema.get("$ref"), path);
        }
        if (schema.has("anyOf")) {
            requireOnly(schema, path, "anyOf");
            return new Choice(alternatives(schema.get("anyOf"), path + "/anyOf", depth));
        }
        if (schema.has("const")) {
            requireOnly(schema, path, "const", "type", "enum");
            return literalsOfType(List.of(schema.get("const")), schema, path);
        }
        if (schema.has("enum")) {
            JsonNode values = schema.get("enum");
            if (!values.isArray() || values.isEmpty()) {
                throw new SchemaException("'enum' at " + path + " must be a non-empty array.");
            }
            requireOnly(schema, path, "enum", "type");
            List<JsonNode> list = new ArrayList<>();
            values.forEach(list::add);
            return literalsOfType(list, schema, path);
        }
        List<String> types = types(schema, path);
        List<GrammarNode> alternatives = new ArrayList<>();
        for (String type : types) {
            alternatives.add(switch (type) {
                case "object" -> object(schema, path, depth);
                case "array" -> array(schema, path, depth);
                case "string" -> string(schema, path);
                case "number" -> new JsonNumber(false);
                case "integer" -> new JsonNumber(true);
                case "boolean" -> new Choice(List.of(literal("true"), literal("false")));
                case "null" -> literal("null");
                default -> throw new IllegalStateException(type);
            });
        }
        return alternatives.size() == 1 ? alternatives.getFirst() : new Choice(alternatives);
    }

    /** The types a schema allows: its {@code type}, else the one its keywords imply, else any JSON. */
    private static List<String> types(JsonNode schema, String path) {
        JsonNode type = schema.get("type");
        if (type == null) {
            if (schema.has("properties") || schema.has("additionalProperties") || schema.has("required")) {
                return List.of("object");
            }
            if (schema.has("items") || schema.has("minItems") || schema.has("maxItems")) {
                return List.of("array");
            }
            if (schema.has("minLength") || schema.has("maxLength")) {
                return List.of("string");
            }
            return TYPES.stream().filter(name -> !name.equals("integer")).toList();
        }
        List<String> names = new ArrayList<>();
        if (type.isTextual()) {
            names.add(type.textValue());
        } else if (type.isArray() && !type.isEmpty()) {
            type.forEach(element -> names.add(element.asText()));
        } else {
            throw new SchemaException("'type' at " + path + " must be a type name or a non-empty array of them.");
        }
        for (String name : names) {
            if (!TYPES.contains(name)) {
                throw new SchemaException("Unknown type '" + name + "' at " + path + ".");
            }
        }
        if (names.contains("number")) {
            names.remove("integer");
        }
        return List.copyOf(new LinkedHashSet<>(names));
    }

    private GrammarNode object(JsonNode schema, String path, int depth) {
        JsonNode properties = schema.path("properties");
        if (!properties.isMissingNode() && !properties.isObject()) {
            throw new SchemaException("'properties' at " + path + " must be an object.");
        }
        Set<String> required = new HashSet<>();
        JsonNode requiredNode = schema.path("required");
        if (!requiredNode.isMissingNode()) {
            if (!requiredNode.isArray()) {
                throw new SchemaException("'required' at " + path + " must be an array of property names.");
            }
            for (JsonNode name : requiredNode) {
                if (!name.isTextual() || !properties.has(name.textValue())) {
                    throw new SchemaException("Required property " + name + " at " + path
                            + " is not declared in 'properties'.");
                }
                required.add(name.textValue());
            }
        }
        List<Property> declared = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> fields = properties.fields(); fields.hasNext(); ) {
            Map.Entry<String, JsonNode> field = fields.next();
            String propertyPath = path + "/properties/" + field.getKey();
            declared.add(new Property(field.getKey(), jsonLiteral(JSON.getNodeFactory().textNode(field.getKey())).bytes(),
                    compile(field.getValue(), propertyPath, depth + 1), required.contains(field.getKey())));
        }
        JsonNode additional = schema.get("additionalProperties");
        GrammarNode additionalValues = null;
        if (declared.isEmpty() && (additional == null || !additional.isBoolean() || additional.booleanValue())) {
            additionalValues = additional == null ? new AnyJson()
                    : compile(additional, path + "/additionalProperties", depth + 1);
        } else if (additional != null && !additional.isBoolean()) {
            // Declared properties only is valid under any additionalProperties; compile it anyway to refuse
            // keywords it uses that would not be honoured if the grammar ever generated extra keys.
            compile(additional, path + "/additionalProperties", depth + 1);
        }
        return new JsonObject(declared, additionalValues);
    }

    private GrammarNode array(JsonNode schema, String path, int depth) {
        JsonNode items = schema.get("items");
        if (items != null && items.isArray()) {
            throw new SchemaException("'items' as an array (tuple validation) at " + path + " is not supported.");
        }
        int minItems = count(schema, "minItems", path, 0);
        int maxItems = count(schema, "maxItems", path, Integer.MAX_VALUE);
        if (minItems > maxItems) {
            throw new SchemaException("'minItems' is larger than 'maxItems' at " + path + ".");
        }
        GrammarNode itemNode = items == null ? new AnyJson() : compile(items, path + "/items", depth + 1);
        return new JsonArray(itemNode, minItems, maxItems);
    }

    private static GrammarNode string(JsonNode schema, String path) {
        int minLength = count(schema, "minLength", path, 0);
        int maxLength = count(schema, "maxLength", path, Integer.MAX_VALUE);
        if (minLength > maxLength) {
            throw new SchemaException("'minLength' is larger than 'maxLength' at " + path + ".");
        }
        return new JsonString(minLength, maxLength);
    }

    private static int count(JsonNode schema, String keyword, String path, int absent) {
        JsonNode value = schema.get(keyword);
        if (value == null) {
            return absent;
        }
        if (!value.canConvertToExactIntegral() || value.asLong() < 0 || value.asLong() > Integer.MAX_VALUE - 1) {
            throw new SchemaException("'" + keyword + "' at " + path + " must be a non-negative integer.");
        }
        return value.asInt();
    }

    private List<GrammarNode> alternatives(JsonNode list, String path, int depth) {
        if (!list.isArray() || list.isEmpty()) {
            throw new SchemaException("'anyOf' at " + path + " must be a non-empty array of schemas.");
        }
        List<GrammarNode> alternatives = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            alternatives.add(compile(list.get(i), path + "/" + i, depth + 1));
        }
        return alternatives;
    }

    /** The literal JSON texts of {@code values} that match the schema's {@code type}, if it has one. */
    private GrammarNode literalsOfType(List<JsonNode> values, JsonNode schema, String path) {
        List<String> types = schema.has("type") ? types(schema, path) : TYPES;
        List<GrammarNode> literals = new ArrayList<>();
        for (JsonNode value : values) {
            if (types.contains(typeOf(value)) || typeOf(value).equals("integer") && types.contains("number")) {
                if (++nodes > MAX_NODES) {
                    throw new SchemaException("The schema is too large: it compiles to more than " + MAX_NODES
                            + " grammar nodes.", true);
                }
                literals.add(jsonLiteral(value));
            }
        }
        if (literals.isEmpty()) {
            throw new SchemaException("No value of 'enum' / 'const' at " + path + " matches its 'type'.");
        }
        return literals.size() == 1 ? literals.getFirst() : new Choice(literals);
    }

    private static String typeOf(JsonNode value) {
        if (value.isObject()) {
            return "object";
        } else if (value.isArray()) {
            return "array";
        } else if (value.isTextual()) {
            return "string";
        } else if (value.isIntegralNumber()) {
            return "integer";
        } else if (value.isNumber()) {
            return "number";
        } else if (value.isBoolean()) {
            return "boolean";
        }
        return "null";
    }

    private static void requireOnly(JsonNode schema, String path, String... allowed) {
        Set<String> allowedSet = Set.of(allowed);
        for (Iterator<String> names = schema.fieldNames(); names.hasNext(); ) {
            String keyword = names.next();
            if (!allowedSet.contains(keyword) && !ANNOTATIONS.contains(keyword)) {
                throw new SchemaException("Keyword '" + keyword + "' beside '" + allowed[0] + "' at " + path
                        + " is not supported.");
            }
        }
    }

    private GrammarNode reference(JsonNode refNode, String path) {
        if (!refNode.isTextual()) {
            throw new SchemaException("'$ref' at " + path + " must be a string.");
        }
        String ref = refNode.textValue();
        Reference existing = references.get(ref);
        if (existing != null) {
            return existing;
        }
        JsonNode target;
        if (ref.equals("#")) {
            target = root;
        } else if (ref.startsWith("#/$defs/") || ref.startsWith("#/definitions/")) {
            target = root.at(ref.substring(1));
        } else {
            throw new SchemaException("'$ref' \"" + ref + "\" at " + path + " is not supported: only '#', "
                    + "'#/$defs/...' and '#/definitions/...' are.");
        }
        if (target.isMissingNode()) {
            throw new SchemaException("'$ref' \"" + ref + "\" at " + path + " points to nothing.");
        }
        var reference = new Reference(ref);
        references.put(ref, reference);
        pendingReferences.put(ref, target);
        return reference;
    }

    /** Compiles each referenced schema once; references found meanwhile are compiled in later rounds. */
    private void resolveReferences() {
        while (!pendingReferences.isEmpty()) {
            String ref = pendingReferences.keySet().iterator().next();
            JsonNode target = pendingReferences.remove(ref);
            references.get(ref).resolve(compile(target, ref, 0));
        }
        for (Reference reference : references.values()) {
            if (startReaches(reference.target(), reference, new HashSet<>())) {
                throw new SchemaException("'$ref' \"" + reference.name() + "\" refers to itself before any "
                        + "value is written (left recursion).");
            }
        }
    }

    /** Whether {@code node} can reach {@code reference} without writing a byte first. */
    private static boolean startReaches(GrammarNode node, Reference reference, Set<GrammarNode> seen) {
        if (node == reference) {
            return true;
        }
        if (!seen.add(node)) {
            return false;
        }
        return switch (node) {
            case Reference other -> startReaches(other.target(), reference, seen);
            case Choice choice -> choice.alternatives().stream().anyMatch(a -> startReaches(a, reference, seen));
            case GrammarNode.Sequence sequence ->
                    !sequence.parts().isEmpty() && startReaches(sequence.parts().getFirst(), reference, seen);
            case GrammarNode.Repeat repeat -> startReaches(repeat.item(), reference, seen);
            default -> false;
        };
    }
}
