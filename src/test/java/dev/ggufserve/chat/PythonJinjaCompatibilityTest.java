package dev.ggufserve.chat;

import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The Python semantics that tool-capable chat templates rely on, each against what jinja2 gives. */
class PythonJinjaCompatibilityTest {

    private static final Clock MARCH_7 = Clock.fixed(LocalDate.of(2026, 3, 7).atStartOfDay(ZoneOffset.UTC)
            .toInstant(), ZoneOffset.UTC);

    private static String render(String template) {
        return new ChatTemplate(template, "", "", MARCH_7).render(List.of(new ChatMessage("user", "hi")), false);
    }

    @Test
    void notAppliesToTheWholeTestAsInPython() {
        // jinja2: not (x is none); Jinjava alone reads (not x) is none.
        assertEquals("yes", render("{% if not messages[0].content is none %}yes{% endif %}"));
        assertEquals("no", render("{% if not undefined_name is defined %}no{% endif %}"));
        assertEquals("kept", render("{% if not messages[0].content is not none %}{% else %}kept{% endif %}"));
    }

    @Test
    void quotedTextIsNotRewritten() {
        assertEquals("not x is none", render("{{ 'not x is none' }}"));
        assertEquals("not x is none", render("not x is none"));
    }

    @Test
    void toJsonWritesAsPythonsJsonDumps() {
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("b", List.of(1, 2.5, true));
        value.put("a", "é\n\"");
        value.put("e", Map.of());
        ChatTemplate template = new ChatTemplate("{{ tools[0] | tojson }}|{{ tools[0] | tojson(indent=2) }}",
                "", "", MARCH_7);
        assertEquals("{\"b\": [1, 2.5, true], \"a\": \"é\\n\\\"\", \"e\": {}}|{\n  \"b\": [\n    1,\n    2.5,\n"
                        + "    true\n  ],\n  \"a\": \"é\\n\\\"\",\n  \"e\": {}\n}",
                template.render(List.of(new ChatMessage("user", "hi")), List.of(value), false));
    }

    @Test
    void strftimeNowFormatsTheRendersDate() {
        assertEquals("07 Mar 2026|March 07, 2026|Saturday",
                render("{% if strftime_now is defined %}{{ strftime_now('%d %b %Y') }}|"
                        + "{{ strftime_now('%B %d, %Y') }}|{{ strftime_now('%A') }}{% endif %}"));
    }

    @Test
    void itemsAndIterableFollowPython() {
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("role", "user");
        value.put("content", "hi");
        ChatTemplate template = new ChatTemplate("{% for k, v in tools[0]|items %}{{ k }}={{ v }};{% endfor %}"
                + "{% if tools[0].content is iterable %}iterable{% endif %}", "", "", MARCH_7);
        assertEquals("role=user;content=hi;iterable",
                template.render(List.of(new ChatMessage("user", "hi")), List.of(value), false));
    }

    @Test
    void loopPrevitemAndNextitemNameTheNeighbouringItems() {
        // Hermes 3's tool template: a header before the first of consecutive tool results. jinja2 gives the same.
        ChatTemplate template = new ChatTemplate("{% for m in messages %}{% if m.role == 'tool' and (not "
                + "loop.previtem or loop.previtem.role != 'tool') %}[tools]{% endif %}{{ m.content }}"
                + "{% if loop.nextitem %}>{{ loop.nextitem.role }};{% endif %}{% endfor %}", "", "", MARCH_7);
        List<ChatMessage> conversation = List.of(new ChatMessage("user", "a"),
                new ChatMessage("tool", "b", List.of(), "1"), new ChatMessage("tool", "c", List.of(), "2"),
                new ChatMessage("user", "d"));
        assertEquals("a>tool;[tools]b>tool;c>user;d", template.render(conversation, false));
    }

    @Test
    void aNestedLoopsNeighboursComeFromItsOwnItems() {
        ChatTemplate template = new ChatTemplate("{% for m in messages %}{% for c in m.tool_calls %}"
                + "{% if not loop.first %}{{ loop.previtem.id }}<{% endif %}{{ c.id }},{% endfor %}|"
                + "{% if not loop.first %}{{ loop.previtem.content }}{% endif %};{% endfor %}", "", "", MARCH_7);
        List<ChatMessage> conversation = List.of(
                new ChatMessage("assistant", "p", List.of(Map.of("id", "a"), Map.of("id", "b")), null),
                new ChatMessage("assistant", "q", List.of(Map.of("id", "c")), null));
        // As jinja2 renders it.
        assertEquals("a,a<b,|;c,|p;", template.render(conversation, false));
    }

    @Test
    void trimOfAnUndefinedValueIsEmptyAsInPython() {
        // Hermes 3 writes each parameter as "name(type): " + description|trim, and not every parameter has one.
        ChatTemplate template = new ChatTemplate("{{ x|trim }}|{{ '  a b  '|trim }}|{{ 'xxaxx'|trim('x') }}|"
                + "{{ 'k: ' + tools[0].description|trim }}", "", "", MARCH_7);
        assertEquals("|a b|a|k: ", template.render(List.of(new ChatMessage("user", "hi")), List.of(Map.of()), false));
    }
}
