package dev.ggufserve.tools;

import dev.ggufserve.grammar.GrammarNode;
import dev.ggufserve.grammar.SchemaCompiler;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Grammars for replies that call tools, in a family's {@link ToolCallFormat}. */
public final class ToolGrammar {

    /** Calls one reply may make at most when parallel calls are allowed. */
    public static final int MAX_PARALLEL_CALLS = 16;

    private ToolGrammar() {
    }

    /** A function offered to the model: its name and the grammar of its arguments object. */
    public record Function(String name, GrammarNode arguments) {
    }

    /**
     * A reply made only of calls to {@code functions} (tool_choice required, or a named function).
     *
     * @param parallel allow several calls, where the format has them
     */
    public static GrammarNode calls(ToolCallFormat format, List<Function> functions, boolean parallel) {
        List<GrammarNode> alternatives = new ArrayList<>();
        for (Function function : functions) {
            alternatives.add(new GrammarNode.Sequence(List.of(
                    SchemaCompiler.literal(format.callPrefix() + function.name() + format.nameToArguments()),
                    function.arguments(),
                    SchemaCompiler.literal(format.callSuffix()))));
        }
        GrammarNode call = alternatives.size() == 1 ? alternatives.getFirst() : new GrammarNode.Choice(alternatives);
        GrammarNode body = parallel && format.parallel()
                ? new GrammarNode.Repeat(call, SchemaCompiler.literal(format.separator()), 1, MAX_PARALLEL_CALLS)
                : call;
        List<GrammarNode> parts = new ArrayList<>();
        if (!format.listPrefix().isEmpty()) {
            parts.add(SchemaCompiler.literal(format.listPrefix()));
        }
        parts.add(body);
        if (!format.listSuffix().isEmpty()) {
            parts.add(SchemaCompiler.literal(format.listSuffix()));
        }
        return new GrammarNode.Sequence(parts);
    }

    /**
     * tool_choice auto: either calls, or a reply that does not begin with the format's trigger: free text, or the
     * {@code response_format} grammar when one is given.
     *
     * @param otherwise the grammar of a reply without calls, or null for free text
     */
    public static GrammarNode callsOr(ToolCallFormat format, List<Function> functions, boolean parallel,
                                      GrammarNode otherwise) {
        GrammarNode text = otherwise != null ? otherwise
                : new GrammarNode.FreeText(format.trigger().getBytes(StandardCharsets.UTF_8));
        return new GrammarNode.Choice(List.of(calls(format, functions, parallel), text));
    }
}
