package dev.ggufserve.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Parses an OpenAI SSE body strictly: {@code data: <json>\n\n} events ending with {@code data: [DONE]\n\n}. */
final class SseEvents {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private SseEvents() {
    }

    /** The JSON of every event before [DONE], after checking the framing of each. */
    static List<JsonNode> parse(String body) {
        assertTrue(body.endsWith("\n\n"), "the stream ends with a blank line");
        String[] events = body.substring(0, body.length() - 2).split("\n\n", -1);
        assertEquals("data: [DONE]", events[events.length - 1], "the last event is [DONE]");
        List<JsonNode> chunks = new ArrayList<>();
        for (int i = 0; i < events.length - 1; i++) {
            String event = events[i];
            assertTrue(event.startsWith("data: "), "every event is one data line: " + event);
            assertTrue(!event.contains("\n"), "an event is a single line: " + event);
            try {
                chunks.add(MAPPER.readTree(event.substring("data: ".length())));
            } catch (IOException e) {
                throw new UncheckedIOException("not JSON: " + event, e);
            }
        }
        return chunks;
    }
}
