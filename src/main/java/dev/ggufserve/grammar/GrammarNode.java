package dev.ggufserve.grammar;

import java.util.List;

/**
 * A grammar over the bytes of generated text: JSON values as a schema allows them, plus the literal text and
 * repetition that tool-call formats need. {@link SchemaCompiler} builds these; {@link MatchState} runs them.
 *
 * <p>JSON is matched in one canonical layout: at most one space between tokens (after {@code {}, {@code [},
 * {@code :}, {@code ,} and before {@code }} / {@code ]}), no newlines. Models write JSON that way by habit, and a
 * bounded amount of whitespace keeps a weak model from filling its budget with blank lines.
 */
public sealed interface GrammarNode {

    /** Exactly these bytes. */
    record Literal(byte[] bytes) implements GrammarNode {
    }

    /** Any one of the alternatives. */
    record Choice(List<GrammarNode> alternatives) implements GrammarNode {
        /** Identity: parse states compare grammar positions by node, never by deep structure. */
        @Override
        public boolean equals(Object other) {
            return this == other;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(this);
        }

        public Choice {
            alternatives = List.copyOf(alternatives);
        }
    }

    /** The parts one after another. */
    record Sequence(List<GrammarNode> parts) implements GrammarNode {
        /** Identity: parse states compare grammar positions by node, never by deep structure. */
        @Override
        public boolean equals(Object other) {
            return this == other;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(this);
        }

        public Sequence {
            parts = List.copyOf(parts);
        }
    }

    /**
     * {@code item (separator item)*}, between {@code minCount} and {@code maxCount} items.
     *
     * @param maxCount {@link Integer#MAX_VALUE} for no limit
     */
    record Repeat(GrammarNode item, GrammarNode separator, int minCount, int maxCount) implements GrammarNode {
        /** Identity: parse states compare grammar positions by node, never by deep structure. */
        @Override
        public boolean equals(Object other) {
            return this == other;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(this);
        }

        public Repeat {
            if (minCount < 1 || maxCount < minCount) {
                throw new IllegalArgumentException("a repeat needs 1 <= minCount <= maxCount");
            }
        }
    }

    /**
     * A JSON object. With {@code properties}, the object holds the declared properties in their order, each
     * optional one possibly left out; without, any string keys, each with a value of {@code additionalValues}.
     *
     * @param additionalValues the value of free-form keys, used only when {@code properties} is empty; null allows
     *                         no keys at all
     */
    record JsonObject(List<Property> properties, GrammarNode additionalValues) implements GrammarNode {
        /** Identity: parse states compare grammar positions by node, never by deep structure. */
        @Override
        public boolean equals(Object other) {
            return this == other;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(this);
        }

        public JsonObject {
            properties = List.copyOf(properties);
        }

        /** The index of the first required property at or after {@code from}, or the property count. */
        int nextRequired(int from) {
            for (int i = from; i < properties.size(); i++) {
                if (properties.get(i).required()) {
                    return i;
                }
            }
            return properties.size();
        }
    }

    /** @param quotedName the property name as a JSON string, quotes included */
    record Property(String name, byte[] quotedName, GrammarNode value, boolean required) {
    }

    /** @param maxItems {@link Integer#MAX_VALUE} for no limit */
    record JsonArray(GrammarNode items, int minItems, int maxItems) implements GrammarNode {
        /** Identity: parse states compare grammar positions by node, never by deep structure. */
        @Override
        public boolean equals(Object other) {
            return this == other;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(this);
        }

    }

    /**
     * A JSON string whose length, in Unicode code points after unescaping, lies in the bounds. Escapes of
     * UTF-16 surrogates ({@code \}{@code uD800}..{@code \}{@code uDFFF}) are not generated, so each escape counts
     * as one code point; characters outside the BMP are written as UTF-8 instead.
     *
     * @param maxLength {@link Integer#MAX_VALUE} for no limit
     */
    record JsonString(int minLength, int maxLength) implements GrammarNode {
    }

    /**
     * A JSON number; an integer has neither fraction nor exponent. Digits are capped (see {@link NumberLimits})
     * so a number always ends.
     */
    record JsonNumber(boolean integer) implements GrammarNode {
    }

    /** Any JSON value (objects and arrays nest up to {@link MatchState#MAX_NESTING}). */
    record AnyJson() implements GrammarNode {
    }

    /**
     * Any text that does not begin with {@code forbiddenPrefix} (the text alternative beside a tool call: once
     * the output has begun with the tool-call prefix, only the tool-call alternative continues).
     */
    record FreeText(byte[] forbiddenPrefix) implements GrammarNode {
    }

    /** A named node resolved after compilation, so that schemas may refer to themselves ({@code $ref}). */
    final class Reference implements GrammarNode {
        private final String name;
        private GrammarNode target;

        Reference(String name) {
            this.name = name;
        }

        String name() {
            return name;
        }

        GrammarNode target() {
            if (target == null) {
                throw new IllegalStateException("reference " + name + " was never resolved");
            }
            return target;
        }

        void resolve(GrammarNode resolved) {
            this.target = resolved;
        }

        @Override
        public String toString() {
            return "Reference[" + name + "]";
        }
    }

    /** How many digits a generated number may have, so that a number always ends. */
    final class NumberLimits {
        /** Integer part: 15 digits stay exact in a double, as JSON parsers read numbers. */
        static final int INTEGER_DIGITS = 15;
        static final int FRACTION_DIGITS = 15;
        static final int EXPONENT_DIGITS = 3;

        private NumberLimits() {
        }
    }
}
