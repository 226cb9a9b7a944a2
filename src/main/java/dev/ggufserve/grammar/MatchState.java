package dev.ggufserve.grammar;

import dev.ggufserve.grammar.GrammarNode.AnyJson;
import dev.ggufserve.grammar.GrammarNode.Choice;
import dev.ggufserve.grammar.GrammarNode.FreeText;
import dev.ggufserve.grammar.GrammarNode.JsonArray;
import dev.ggufserve.grammar.GrammarNode.JsonNumber;
import dev.ggufserve.grammar.GrammarNode.JsonObject;
import dev.ggufserve.grammar.GrammarNode.JsonString;
import dev.ggufserve.grammar.GrammarNode.Literal;
import dev.ggufserve.grammar.GrammarNode.NumberLimits;
import dev.ggufserve.grammar.GrammarNode.Reference;
import dev.ggufserve.grammar.GrammarNode.Repeat;
import dev.ggufserve.grammar.GrammarNode.Sequence;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * Where a match of a {@link GrammarNode} stands after some bytes: an immutable set of alternative parse stacks
 * (a pushdown automaton run nondeterministically, so that {@code anyOf}, enums and optional properties need no
 * look-ahead). {@link #advance} gives the state after one more byte, or null when no alternative accepts it;
 * being immutable, one state can be advanced along many paths, as the vocabulary trie walk does.
 */
public final class MatchState {

    /** Objects and arrays nest at most this deep, so a weak model cannot open brackets forever. */
    public static final int MAX_NESTING = 32;

    private static final AnyJson ANY = new AnyJson();
    private static final JsonObject ANY_OBJECT = new JsonObject(List.of(), ANY);
    private static final JsonArray ANY_ARRAY = new JsonArray(ANY, 0, Integer.MAX_VALUE);
    private static final JsonString ANY_STRING = new JsonString(0, Integer.MAX_VALUE);
    private static final JsonNumber ANY_NUMBER = new JsonNumber(false);
    private static final Literal TRUE = literal("true");
    private static final Literal FALSE = literal("false");
    private static final Literal NULL = literal("null");

    private final Stack[] stacks;

    private MatchState(Stack[] stacks) {
        this.stacks = stacks;
    }

    /** The state before any byte of {@code root}. */
    public static MatchState start(GrammarNode root) {
        List<Stack> stacks = new ArrayList<>();
        for (Frame frame : startFrames(root, 0)) {
            stacks.add(new Stack(frame, null, 0));
        }
        if (stacks.isEmpty()) {
            throw new IllegalArgumentException("the grammar matches nothing");
        }
        return new MatchState(stacks.toArray(Stack[]::new));
    }

    /** The state after one more byte, or null when the byte cannot come next. */
    public MatchState advance(byte value) {
        int b = value & 0xFF;
        if (stacks.length == 1) {
            List<Stack> out = new ArrayList<>(2);
            step(stacks[0], b, out);
            return out.isEmpty() ? null : new MatchState(out.toArray(Stack[]::new));
        }
        List<Stack> out = new ArrayList<>(stacks.length);
        for (Stack stack : stacks) {
            step(stack, b, out);
        }
        if (out.isEmpty()) {
            return null;
        }
        // Alternatives that met again (two anyOf branches at the same place) are kept once.
        return new MatchState(out.size() == 1 ? out.toArray(Stack[]::new)
                : new LinkedHashSet<>(out).toArray(Stack[]::new));
    }

    /** The state after all of {@code bytes}, or null when they cannot come next. */
    public MatchState advance(byte[] bytes) {
        MatchState state = this;
        for (int i = 0; i < bytes.length && state != null; i++) {
            state = state.advance(bytes[i]);
        }
        return state;
    }

    /** Whether the text so far is a complete match, so generation may end here. */
    public boolean accepting() {
        for (Stack stack : stacks) {
            if (accepting(stack)) {
                return true;
            }
        }
        return false;
    }

    /** Whether the text so far is complete and nothing may follow it. */
    public boolean finished() {
        if (!accepting()) {
            return false;
        }
        for (int b = 0; b < 256; b++) {
            if (advance((byte) b) != null) {
                return false;
            }
        }
        return true;
    }

    /** Whether every byte sequence is allowed from here on (free text after it left the tool-call prefix). */
    public boolean unconstrained() {
        return stacks.length == 1 && stacks[0].frame() instanceof FreeTextFrame free && free.position() < 0;
    }

    private static boolean accepting(Stack stack) {
        for (Stack s = stack; s != null; s = s.parent()) {
            if (!canEnd(s.frame())) {
                return false;
            }
        }
        return true;
    }

    // ---- frames: where inside one grammar node the match stands ----

    /** One level of a parse stack; records, so that equal alternatives compare equal. */
    private sealed interface Frame {
    }

    private record LiteralFrame(byte[] bytes, int position) implements Frame {
    }

    private record SequenceFrame(Sequence node, int nextPart) implements Frame {
    }

    /** @param afterItem true once an item is complete (a separator or the end may follow) */
    private record RepeatFrame(Repeat node, int count, boolean afterItem) implements Frame {
    }

    /**
     * @param nextProperty the first declared property that may still be written
     * @param property     the property whose value comes next (in AFTER_KEY / AFTER_COLON)
     * @param spaced       the one optional space of this position is used
     */
    private record ObjectFrame(JsonObject node, Phase phase, int nextProperty, int property, boolean spaced)
            implements Frame {
    }

    private record ArrayFrame(JsonArray node, Phase phase, int count, boolean spaced) implements Frame {
    }

    /**
     * @param length    code points so far
     * @param pending   UTF-8 continuation bytes or hex digits still expected
     * @param low       the smallest next continuation byte (UTF-8), or 1 after a {@code \}{@code uD} (hex)
     * @param high      the largest next continuation byte (UTF-8)
     */
    private record StringFrame(JsonString node, Phase phase, int length, int pending, int low, int high)
            implements Frame {
    }

    private record NumberFrame(boolean integer, Phase phase, int digits) implements Frame {
    }

    /** @param position bytes of the forbidden prefix matched so far; -1 once the text left it */
    private record FreeTextFrame(byte[] forbidden, int position) implements Frame {
    }

    private enum Phase {
        START, AFTER_OPEN, AFTER_KEY, AFTER_COLON, AFTER_VALUE, AFTER_COMMA, DONE,
        // strings
        BODY, ESCAPE, HEX, UTF8,
        // numbers
        SIGN, ZERO, INTEGER, DOT, FRACTION, EXPONENT_MARK, EXPONENT_SIGN, EXPONENT
    }

    /** A parse stack as a persistent list; {@code nesting} counts the objects and arrays open below the top. */
    private record Stack(Frame frame, Stack parent, int nesting) {
        Stack replace(Frame next) {
            return new Stack(next, parent, nesting);
        }
    }

    private static List<Frame> startFrames(GrammarNode node, int nesting) {
        List<Frame> frames = new ArrayList<>(1);
        addStartFrames(node, nesting, frames);
        return frames;
    }

    private static void addStartFrames(GrammarNode node, int nesting, List<Frame> frames) {
        switch (node) {
            case Literal literal -> frames.add(new LiteralFrame(literal.bytes(), 0));
            case Choice choice -> choice.alternatives().forEach(alternative -> addStartFrames(alternative, nesting, frames));
            case Sequence sequence -> frames.add(new SequenceFrame(sequence, 0));
            case Repeat repeat -> frames.add(new RepeatFrame(repeat, 0, false));
            case JsonObject object -> {
                if (nesting < MAX_NESTING) {
                    frames.add(new ObjectFrame(object, Phase.START, 0, -1, false));
                }
            }
            case JsonArray array -> {
                if (nesting < MAX_NESTING) {
                    frames.add(new ArrayFrame(array, Phase.START, 0, false));
                }
            }
            case JsonString string -> frames.add(new StringFrame(string, Phase.START, 0, 0, 0, 0));
            case JsonNumber number -> frames.add(new NumberFrame(number.integer(), Phase.START, 0));
            case AnyJson any -> {
                for (GrammarNode value : List.of(ANY_OBJECT, ANY_ARRAY, ANY_STRING, ANY_NUMBER, TRUE, FALSE, NULL)) {
                    addStartFrames(value, nesting, frames);
                }
            }
            case FreeText free -> frames.add(new FreeTextFrame(free.forbiddenPrefix(), 0));
            case Reference reference -> addStartFrames(reference.target(), nesting, frames);
        }
    }

    private static boolean canEnd(Frame frame) {
        return switch (frame) {
            case LiteralFrame literal -> literal.position() == literal.bytes().length;
            case SequenceFrame sequence -> sequence.nextPart() == sequence.node().parts().size();
            case RepeatFrame repeat -> repeat.afterItem() && repeat.count() >= repeat.node().minCount();
            case ObjectFrame object -> object.phase() == Phase.DONE;
            case ArrayFrame array -> array.phase() == Phase.DONE;
            case StringFrame string -> string.phase() == Phase.DONE;
            case NumberFrame number -> switch (number.phase()) {
                case ZERO, INTEGER, FRACTION, EXPONENT -> true;
                default -> false;
            };
            case FreeTextFrame free -> true;
        };
    }

    /** Adds to {@code out} every stack that {@code stack} becomes after byte {@code b}. */
    private static void step(Stack stack, int b, List<Stack> out) {
        switch (stack.frame()) {
            case LiteralFrame literal -> {
                if (literal.position() < literal.bytes().length && (literal.bytes()[literal.position()] & 0xFF) == b) {
                    out.add(stack.replace(new LiteralFrame(literal.bytes(), literal.position() + 1)));
                }
            }
            case SequenceFrame sequence -> {
                List<GrammarNode> parts = sequence.node().parts();
                if (sequence.nextPart() < parts.size()) {
                    push(stack.replace(new SequenceFrame(sequence.node(), sequence.nextPart() + 1)),
                            parts.get(sequence.nextPart()), b, out, 0);
                }
            }
            case RepeatFrame repeat -> stepRepeat(stack, repeat, b, out);
            case ObjectFrame object -> stepObject(stack, object, b, out);
            case ArrayFrame array -> stepArray(stack, array, b, out);
            case StringFrame string -> stepString(stack, string, b, out);
            case NumberFrame number -> stepNumber(stack, number, b, out);
            case FreeTextFrame free -> {
                if (free.position() < 0) {
                    out.add(stack);
                } else if (b != (free.forbidden()[free.position()] & 0xFF)) {
                    out.add(stack.replace(new FreeTextFrame(free.forbidden(), -1)));
                } else if (free.position() + 1 < free.forbidden().length) {
                    out.add(stack.replace(new FreeTextFrame(free.forbidden(), free.position() + 1)));
                }
            }
        }
        // A frame that may end hands the byte to its parent, which already stands after this child.
        if (canEnd(stack.frame()) && stack.parent() != null) {
            step(stack.parent(), b, out);
        }
    }

    /**
     * Feeds {@code b} to the start of {@code child}, on top of {@code parent} (the parent already advanced past
     * the child).
     *
     * @param opened 1 when the child is an object's or array's value, so it nests one level deeper
     */
    private static void push(Stack parent, GrammarNode child, int b, List<Stack> out, int opened) {
        int nesting = parent.nesting() + opened;
        for (Frame frame : startFrames(child, nesting)) {
            step(new Stack(frame, parent, nesting), b, out);
        }
    }

    private static void stepRepeat(Stack stack, RepeatFrame repeat, int b, List<Stack> out) {
        Repeat node = repeat.node();
        if (!repeat.afterItem()) {
            push(stack.replace(new RepeatFrame(node, repeat.count() + 1, true)), node.item(), b, out, 0);
        } else if (repeat.count() < node.maxCount()) {
            // The separator, then the next item.
            Stack next = stack.replace(new RepeatFrame(node, repeat.count(), false));
            push(next, node.separator(), b, out, 0);
        }
    }

    private static void stepObject(Stack stack, ObjectFrame object, int b, List<Stack> out) {
        JsonObject node = object.node();
        Phase phase = object.phase();
        if (phase == Phase.START) {
            if (b == '{') {
                out.add(stack.replace(new ObjectFrame(node, Phase.AFTER_OPEN, 0, -1, false)));
            }
            return;
        }
        if (phase == Phase.DONE) {
            return;
        }
        if (b == ' ') {
            if (!object.spaced()) {
                out.add(stack.replace(new ObjectFrame(node, phase, object.nextProperty(), object.property(), true)));
            }
            return;
        }
        boolean freeForm = node.properties().isEmpty();
        boolean requiredLeft = !freeForm && node.nextRequired(object.nextProperty()) < node.properties().size();
        switch (phase) {
            case AFTER_OPEN, AFTER_COMMA -> {
                if (b == '}' && phase == Phase.AFTER_OPEN && !requiredLeft) {
                    out.add(stack.replace(new ObjectFrame(node, Phase.DONE, 0, -1, false)));
                } else if (b == '"') {
                    startKey(stack, object, b, out);
                }
            }
            case AFTER_KEY -> {
                if (b == ':') {
                    out.add(stack.replace(new ObjectFrame(node, Phase.AFTER_COLON, object.nextProperty(),
                            object.property(), false)));
                }
            }
            case AFTER_COLON -> {
                GrammarNode value = freeForm ? node.additionalValues() : node.properties().get(object.property()).value();
                push(stack.replace(new ObjectFrame(node, Phase.AFTER_VALUE, object.nextProperty(), -1, false)),
                        value, b, out, 1);
            }
            case AFTER_VALUE -> {
                boolean moreAllowed = freeForm || object.nextProperty() < node.properties().size();
                if (b == ',' && moreAllowed) {
                    out.add(stack.replace(new ObjectFrame(node, Phase.AFTER_COMMA, object.nextProperty(), -1, false)));
                } else if (b == '}' && !requiredLeft) {
                    out.add(stack.replace(new ObjectFrame(node, Phase.DONE, 0, -1, false)));
                }
            }
            default -> throw new IllegalStateException("object phase " + phase);
        }
    }

    /** A key: any string in a free-form object, else one of the properties that may come next. */
    private static void startKey(Stack stack, ObjectFrame object, int b, List<Stack> out) {
        JsonObject node = object.node();
        if (node.properties().isEmpty()) {
            if (node.additionalValues() != null) {
                push(stack.replace(new ObjectFrame(node, Phase.AFTER_KEY, 0, -1, false)), ANY_STRING, b, out, 0);
            }
            return;
        }
        int last = Math.min(node.nextRequired(object.nextProperty()), node.properties().size() - 1);
        for (int i = object.nextProperty(); i <= last; i++) {
            Stack parent = stack.replace(new ObjectFrame(node, Phase.AFTER_KEY, i + 1, i, false));
            step(new Stack(new LiteralFrame(node.properties().get(i).quotedName(), 0), parent, parent.nesting()),
                    b, out);
        }
    }

    private static void stepArray(Stack stack, ArrayFrame array, int b, List<Stack> out) {
        JsonArray node = array.node();
        Phase phase = array.phase();
        if (phase == Phase.START) {
            if (b == '[') {
                out.add(stack.replace(new ArrayFrame(node, Phase.AFTER_OPEN, 0, false)));
            }
            return;
        }
        if (phase == Phase.DONE) {
            return;
        }
        if (b == ' ') {
            if (!array.spaced()) {
                out.add(stack.replace(new ArrayFrame(node, phase, array.count(), true)));
            }
            return;
        }
        switch (phase) {
            case AFTER_OPEN -> {
                if (b == ']') {
                    if (node.minItems() == 0) {
                        out.add(stack.replace(new ArrayFrame(node, Phase.DONE, 0, false)));
                    }
                } else if (node.maxItems() > 0) {
                    pushItem(stack, array, b, out);
                }
            }
            case AFTER_VALUE -> {
                if (b == ',' && array.count() < node.maxItems()) {
                    out.add(stack.replace(new ArrayFrame(node, Phase.AFTER_COMMA, array.count(), false)));
                } else if (b == ']' && array.count() >= node.minItems()) {
                    out.add(stack.replace(new ArrayFrame(node, Phase.DONE, array.count(), false)));
                }
            }
            case AFTER_COMMA -> pushItem(stack, array, b, out);
            default -> throw new IllegalStateException("array phase " + phase);
        }
    }

    private static void pushItem(Stack stack, ArrayFrame array, int b, List<Stack> out) {
        push(stack.replace(new ArrayFrame(array.node(), Phase.AFTER_VALUE, array.count() + 1, false)),
                array.node().items(), b, out, 1);
    }

    private static void stepString(Stack stack, StringFrame string, int b, List<Stack> out) {
        JsonString node = string.node();
        int length = string.length();
        switch (string.phase()) {
            case START -> {
                if (b == '"') {
                    out.add(stack.replace(new StringFrame(node, Phase.BODY, 0, 0, 0, 0)));
                }
            }
            case BODY -> {
                if (b == '"') {
                    if (length >= node.minLength()) {
                        out.add(stack.replace(new StringFrame(node, Phase.DONE, length, 0, 0, 0)));
                    }
                    return;
                }
                if (length >= node.maxLength() || b < 0x20) {
                    return;
                }
                if (b == '\\') {
                    out.add(stack.replace(new StringFrame(node, Phase.ESCAPE, length + 1, 0, 0, 0)));
                } else if (b < 0x80) {
                    out.add(stack.replace(new StringFrame(node, Phase.BODY, length + 1, 0, 0, 0)));
                } else {
                    startUtf8(stack, node, length + 1, b, out);
                }
            }
            case ESCAPE -> {
                switch (b) {
                    case '"', '\\', '/', 'b', 'f', 'n', 'r', 't' ->
                            out.add(stack.replace(new StringFrame(node, Phase.BODY, length, 0, 0, 0)));
                    case 'u' -> out.add(stack.replace(new StringFrame(node, Phase.HEX, length, 4, 0, 0)));
                    default -> {
                    }
                }
            }
            case HEX -> {
                int digit = Character.digit(b, 16);
                if (digit < 0) {
                    return;
                }
                // No surrogate escapes (D800-DFFF): after a first digit D the second must be 0-7.
                if (string.pending() == 3 && string.low() == 1 && digit >= 8) {
                    return;
                }
                int pending = string.pending() - 1;
                int afterD = string.pending() == 4 && digit == 0xD ? 1 : 0;
                out.add(stack.replace(pending == 0
                        ? new StringFrame(node, Phase.BODY, length, 0, 0, 0)
                        : new StringFrame(node, Phase.HEX, length, pending, afterD, 0)));
            }
            case UTF8 -> {
                if (b >= string.low() && b <= string.high()) {
                    int pending = string.pending() - 1;
                    out.add(stack.replace(pending == 0
                            ? new StringFrame(node, Phase.BODY, length, 0, 0, 0)
                            : new StringFrame(node, Phase.UTF8, length, pending, 0x80, 0xBF)));
                }
            }
            case DONE -> {
            }
            default -> throw new IllegalStateException("string phase " + string.phase());
        }
    }

    /** A UTF-8 lead byte; the ranges of the first continuation byte exclude overlong forms and surrogates. */
    private static void startUtf8(Stack stack, JsonString node, int length, int b, List<Stack> out) {
        int pending;
        int low = 0x80;
        int high = 0xBF;
        if (b >= 0xC2 && b <= 0xDF) {
            pending = 1;
        } else if (b >= 0xE0 && b <= 0xEF) {
            pending = 2;
            if (b == 0xE0) {
                low = 0xA0;
            } else if (b == 0xED) {
                high = 0x9F;
            }
        } else if (b >= 0xF0 && b <= 0xF4) {
            pending = 3;
            if (b == 0xF0) {
                low = 0x90;
            } else if (b == 0xF4) {
                high = 0x8F;
            }
        } else {
            return;
        }
        out.add(stack.replace(new StringFrame(node, Phase.UTF8, length, pending, low, high)));
    }

    private static void stepNumber(Stack stack, NumberFrame number, int b, List<Stack> out) {
        boolean digit = b >= '0' && b <= '9';
        boolean integer = number.integer();
        Phase next = null;
        int digits = 0;
        switch (number.phase()) {
            case START -> {
                if (b == '-') {
                    next = Phase.SIGN;
                } else if (b == '0') {
                    next = Phase.ZERO;
                } else if (digit) {
                    next = Phase.INTEGER;
                    digits = 1;
                }
            }
            case SIGN -> {
                if (b == '0') {
                    next = Phase.ZERO;
                } else if (digit) {
                    next = Phase.INTEGER;
                    digits = 1;
                }
            }
            case ZERO, INTEGER -> {
                if (digit && number.phase() == Phase.INTEGER && number.digits() < NumberLimits.INTEGER_DIGITS) {
                    next = Phase.INTEGER;
                    digits = number.digits() + 1;
                } else if (b == '.' && !integer) {
                    next = Phase.DOT;
                } else if ((b == 'e' || b == 'E') && !integer) {
                    next = Phase.EXPONENT_MARK;
                }
            }
            case DOT -> {
                if (digit) {
                    next = Phase.FRACTION;
                    digits = 1;
                }
            }
            case FRACTION -> {
                if (digit && number.digits() < NumberLimits.FRACTION_DIGITS) {
                    next = Phase.FRACTION;
                    digits = number.digits() + 1;
                } else if (b == 'e' || b == 'E') {
                    next = Phase.EXPONENT_MARK;
                }
            }
            case EXPONENT_MARK -> {
                if (b == '+' || b == '-') {
                    next = Phase.EXPONENT_SIGN;
                } else if (digit) {
                    next = Phase.EXPONENT;
                    digits = 1;
                }
            }
            case EXPONENT_SIGN -> {
                if (digit) {
                    next = Phase.EXPONENT;
                    digits = 1;
                }
            }
            case EXPONENT -> {
                if (digit && number.digits() < NumberLimits.EXPONENT_DIGITS) {
                    next = Phase.EXPONENT;
                    digits = number.digits() + 1;
                }
            }
            default -> throw new IllegalStateException("number phase " + number.phase());
        }
        if (next != null) {
            out.add(stack.replace(new NumberFrame(integer, next, digits)));
        }
    }

    private static Literal literal(String text) {
        return new Literal(text.getBytes(StandardCharsets.UTF_8));
    }
}
