package dev.ggufserve.tools;

/**
 * Splits a reply, as it streams in, into content text and tool calls written in a {@link ToolCallFormat}.
 * Generation is constrained to the format, so the parser reads it literally: it waits for each fixed part,
 * reads the name up to its closing quote, and passes the arguments object on as it arrives, tracking JSON
 * strings and nesting to find its end.
 *
 * <p>With tool_choice auto the reply may be text instead: the parser holds text back while it could still be
 * the beginning of the format's trigger, then decides once: calls, or content from there on.
 */
public final class ToolCallParser {

    /** What the parser found, in order. */
    public interface Listener {
        void content(String text);

        /** A call begins; {@code index} counts calls from 0. */
        void callStarted(int index, String name);

        /** More of the call's arguments JSON. */
        void arguments(int index, String fragment);
    }

    private enum Step { UNDECIDED, TEXT, LIST_PREFIX, CALL_PREFIX, NAME, NAME_TO_ARGUMENTS, ARGUMENTS, CALL_SUFFIX,
        AFTER_CALL, DONE }

    private final ToolCallFormat format;
    private final Listener listener;
    private final StringBuilder pending = new StringBuilder();
    private Step step;
    private int calls;
    private int depth;
    private boolean inString;
    private boolean escaped;

    /** @param mayBeText tool_choice auto: the reply may be plain text */
    public ToolCallParser(ToolCallFormat format, boolean mayBeText, Listener listener) {
        this.format = format;
        this.listener = listener;
        this.step = mayBeText ? Step.UNDECIDED : Step.LIST_PREFIX;
    }

    /** How many calls have begun. */
    public int calls() {
        return calls;
    }

    public void accept(String text) {
        if (step == Step.TEXT) {
            if (!text.isEmpty()) {
                listener.content(text);
            }
            return;
        }
        pending.append(text);
        boolean progressed = true;
        while (progressed) {
            progressed = advance();
        }
    }

    /** The reply is complete: text still held back as a possible trigger is content after all. */
    public void finish() {
        if (step == Step.UNDECIDED && !pending.isEmpty()) {
            listener.content(pending.toString());
            pending.setLength(0);
        }
    }

    /** One step over {@link #pending}; false when it needs more text. */
    private boolean advance() {
        switch (step) {
            case UNDECIDED -> {
                String trigger = format.trigger();
                if (pending.length() >= trigger.length() && pending.substring(0, trigger.length()).equals(trigger)) {
                    step = Step.LIST_PREFIX;
                    return true;
                }
                if (trigger.startsWith(pending.toString())) {
                    return false;
                }
                step = Step.TEXT;
                listener.content(pending.toString());
                pending.setLength(0);
                return false;
            }
            case LIST_PREFIX -> {
                return literal(format.listPrefix(), Step.CALL_PREFIX);
            }
            case CALL_PREFIX -> {
                return literal(format.callPrefix(), Step.NAME);
            }
            case NAME -> {
                int quote = pending.indexOf("\"");
                if (quote < 0) {
                    return false;
                }
                listener.callStarted(calls, pending.substring(0, quote));
                pending.delete(0, quote);
                step = Step.NAME_TO_ARGUMENTS;
                return true;
            }
            case NAME_TO_ARGUMENTS -> {
                if (literal(format.nameToArguments(), Step.ARGUMENTS)) {
                    depth = 0;
                    inString = false;
                    escaped = false;
                    return true;
                }
                return false;
            }
            case ARGUMENTS -> {
                return arguments();
            }
            case CALL_SUFFIX -> {
                return literal(format.callSuffix(), Step.AFTER_CALL);
            }
            case AFTER_CALL -> {
                String separator = format.separator();
                String suffix = format.listSuffix();
                if (!separator.isEmpty() && startsWith(separator)) {
                    pending.delete(0, separator.length());
                    step = Step.CALL_PREFIX;
                    return true;
                }
                if (!suffix.isEmpty() && startsWith(suffix)) {
                    pending.delete(0, suffix.length());
                    step = Step.DONE;
                }
                return false;
            }
            default -> {
                return false;
            }
        }
    }

    /** Consumes {@code expected} once it has fully arrived. */
    private boolean literal(String expected, Step next) {
        if (pending.length() < expected.length()) {
            return false;
        }
        pending.delete(0, expected.length());
        step = next;
        return true;
    }

    private boolean startsWith(String text) {
        return pending.length() >= text.length() && pending.substring(0, text.length()).equals(text);
    }

    /** Passes on the arguments JSON up to the end of its outermost object. */
    private boolean arguments() {
        int end = -1;
        for (int i = 0; i < pending.length() && end < 0; i++) {
            char c = pending.charAt(i);
            if (inString) {
                if (escaped) {
                    escaped = false;
                } else if (c == '\\') {
                    escaped = true;
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
            } else if (c == '{' || c == '[') {
                depth++;
            } else if ((c == '}' || c == ']') && --depth == 0) {
                end = i + 1;
            }
        }
        int taken = end < 0 ? pending.length() : end;
        if (taken > 0) {
            listener.arguments(calls, pending.substring(0, taken));
            pending.delete(0, taken);
        }
        if (end < 0) {
            return false;
        }
        calls++;
        step = Step.CALL_SUFFIX;
        return true;
    }
}
