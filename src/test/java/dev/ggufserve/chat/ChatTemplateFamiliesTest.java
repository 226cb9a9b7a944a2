package dev.ggufserve.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The real chat templates of ten popular models (src/test/resources/chat-templates) render through Jinjava exactly
 * as Python's jinja2 renders them for Hugging Face; the expected texts were rendered once by
 * src/test/chat-templates/make-expected.py and committed.
 */
class ChatTemplateFamiliesTest {

    static final JsonNode EXPECTED = readExpected();
    /** The date make-expected.py gave {@code strftime_now}. */
    static final Clock FIXED_DATE = Clock.fixed(LocalDate.parse(EXPECTED.get("fixed_date").asText())
            .atStartOfDay(ZoneOffset.UTC).toInstant(), ZoneOffset.UTC);

    record Case(String template, String conversation) {
        @Override
        public String toString() {
            return template + " " + conversation;
        }
    }

    static Stream<Case> cases() {
        List<Case> cases = new ArrayList<>();
        EXPECTED.get("expected").properties().forEach(template -> template.getValue().properties()
                .forEach(conversation -> cases.add(new Case(template.getKey(), conversation.getKey()))));
        return cases.stream();
    }

    @ParameterizedTest
    @MethodSource("cases")
    void rendersAsJinja2Does(Case testCase) {
        JsonNode tokens = EXPECTED.get("bos_eos").get(testCase.template());
        ChatTemplate template = new ChatTemplate(resource(testCase.template() + ".jinja"), tokens.get(0).asText(),
                tokens.get(1).asText(), FIXED_DATE);
        List<ChatMessage> messages = new ArrayList<>();
        for (JsonNode message : EXPECTED.get("conversations").get(testCase.conversation())) {
            messages.add(new ChatMessage(message.get("role").asText(), message.get("content").asText()));
        }
        JsonNode expected = EXPECTED.get("expected").get(testCase.template()).get(testCase.conversation());
        if (expected.has("text")) {
            assertEquals(expected.get("text").asText(), template.render(messages, true));
        } else {
            // The template raised (raise_exception) or could not render: both are errors here too, the raised
            // message word for word.
            ChatTemplateException error = assertThrows(ChatTemplateException.class,
                    () -> template.render(messages, true));
            if (expected.has("raised")) {
                assertEquals(expected.get("raised").asText(), error.getMessage());
            }
        }
    }

    private static JsonNode readExpected() {
        try {
            return new ObjectMapper().readTree(resource("expected.json"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String resource(String name) {
        try (InputStream in = ChatTemplateFamiliesTest.class.getResourceAsStream("/chat-templates/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
