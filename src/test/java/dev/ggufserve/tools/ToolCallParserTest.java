package dev.ggufserve.tools;

import dev.ggufserve.grammar.GrammarNode;
import dev.ggufserve.grammar.MatchState;
import dev.ggufserve.grammar.SchemaCompiler;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ToolCallParserTest {

    /** Records what the parser reports, as text: content, then "name(arguments)" per call. */
    static final class Recorder implements ToolCallParser.Listener {
        final StringBuilder content = new StringBuilder();
        final List<String> names = new ArrayList<>();
        final List<StringBuilder> arguments = new ArrayList<>();

        @Override
        public void content(String text) {
            content.append(text);
        }

        @Override
        public void callStarted(int index, String name) {
            assertEquals(names.size(), index);
            names.add(name);
            arguments.add(new StringBuilder());
        }

        @Override
        public void arguments(int index, String fragment) {
            arguments.get(index).append(fragment);
        }

        List<String> calls() {
            List<String> calls = new ArrayList<>();
            for (int i = 0; i < names.size(); i++) {
                calls.add(names.get(i) + "(" + arguments.get(i) + ")");
            }
            return calls;
        }
    }

    static Stream<ToolCallFormat> formats() {
        return Stream.of(ToolCallFormat.hermes(true), ToolCallFormat.llama3(), ToolCallFormat.mistral(),
                ToolCallFormat.granite(), ToolCallFormat.generic(false));
    }

    static String reply(ToolCallFormat format, List<String> calls) {
        return format.listPrefix() + String.join(format.separator(), calls) + format.listSuffix();
    }

    /** Every split of the reply into pieces gives the same calls, as streaming hands the text over in pieces. */
    @ParameterizedTest
    @MethodSource("formats")
    void callsAreFoundWhereverTheTextIsSplit(ToolCallFormat format) {
        String first = format.callText("get_weather", "{\"city\": \"Par}is\\\"\", \"days\": [1, {\"x\": 2}]}");
        String second = format.callText("get_time", "{}");
        List<String> texts = format.parallel() ? List.of(first, second) : List.of(first);
        String reply = reply(format, texts);
        List<String> expected = format.parallel()
                ? List.of("get_weather({\"city\": \"Par}is\\\"\", \"days\": [1, {\"x\": 2}]})", "get_time({})")
                : List.of("get_weather({\"city\": \"Par}is\\\"\", \"days\": [1, {\"x\": 2}]})");
        for (int pieceLength = 1; pieceLength <= reply.length(); pieceLength += 3) {
            var recorder = new Recorder();
            var parser = new ToolCallParser(format, true, recorder);
            for (int start = 0; start < reply.length(); start += pieceLength) {
                parser.accept(reply.substring(start, Math.min(reply.length(), start + pieceLength)));
            }
            parser.finish();
            assertEquals(expected, recorder.calls(), "pieces of " + pieceLength);
            assertEquals("", recorder.content.toString());
        }
    }

    @ParameterizedTest
    @MethodSource("formats")
    void textThatLeavesTheTriggerIsContent(ToolCallFormat format) {
        String trigger = format.trigger();
        String text = trigger.substring(0, trigger.length() - 1) + "x and more";
        var recorder = new Recorder();
        var parser = new ToolCallParser(format, true, recorder);
        for (char c : text.toCharArray()) {
            parser.accept(String.valueOf(c));
        }
        parser.finish();
        assertEquals(text, recorder.content.toString());
        assertTrue(recorder.names.isEmpty());
    }

    @Test
    void aReplyEndingInsideThePossibleTriggerIsContent() {
        var recorder = new Recorder();
        var parser = new ToolCallParser(ToolCallFormat.hermes(true), true, recorder);
        parser.accept("<tool");
        assertEquals("", recorder.content.toString(), "held back while it may still be a call");
        parser.finish();
        assertEquals("<tool", recorder.content.toString());
    }

    /** What the grammar generates is what the parser reads: forced calls match the grammar and parse back. */
    @ParameterizedTest
    @MethodSource("formats")
    void theGrammarAcceptsExactlyTheFormat(ToolCallFormat format) {
        GrammarNode arguments = SchemaCompiler.compile(dev.ggufserve.testing.SchemaValidation.parse(
                "{\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}, \"required\": [\"city\"],"
                        + " \"additionalProperties\": false}"));
        GrammarNode empty = SchemaCompiler.compile(dev.ggufserve.testing.SchemaValidation.parse(
                "{\"type\": \"object\", \"additionalProperties\": false}"));
        List<ToolGrammar.Function> functions = List.of(new ToolGrammar.Function("get_weather", arguments),
                new ToolGrammar.Function("get_time", empty));
        String one = format.callText("get_weather", "{\"city\": \"Paris\"}");
        String two = format.callText("get_time", "{}");

        GrammarNode forced = ToolGrammar.calls(format, functions, true);
        assertTrue(matches(forced, reply(format, List.of(one))));
        assertEquals(format.parallel(), matches(forced, reply(format, List.of(one, two))));
        assertFalse(matches(forced, reply(format, List.of(format.callText("get_time", "{\"city\": \"x\"}")))));
        assertFalse(matches(forced, "Hello"));

        GrammarNode auto = ToolGrammar.callsOr(format, functions, true, null);
        assertTrue(matches(auto, reply(format, List.of(one))));
        assertTrue(matches(auto, "Hello"));
        assertTrue(matches(auto, ""));
        assertFalse(matches(auto, format.trigger() + "unknown_function\""));
    }

    private static boolean matches(GrammarNode grammar, String text) {
        MatchState state = MatchState.start(grammar).advance(text.getBytes(StandardCharsets.UTF_8));
        return state != null && state.accepting();
    }
}
