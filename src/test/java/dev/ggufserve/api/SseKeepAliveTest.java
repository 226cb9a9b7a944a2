package dev.ggufserve.api;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A stream that waits in the queue gets its 200 head at once and ": keep-alive" comments while nothing
 * else is written, then its events and [DONE] as usual.
 */
@QuarkusTest
@TestProfile(SseKeepAliveTest.ShortKeepAlive.class)
class SseKeepAliveTest {

    public static class ShortKeepAlive implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("llm.sse-keep-alive", "PT0.02S", "llm.replicas", "1");
        }
    }

    /** Holds the only replica: nearly the whole context with EOS banned. */
    private static final String LONG_GENERATION = "{\"model\":\"llama\",\"prompt\":\"Once upon a time\","
            + "\"max_tokens\":2000,\"logit_bias\":{\"2\":-100}}";
    private static final String QUEUED_STREAM = "{\"model\":\"llama\",\"prompt\":\"Once upon a time\","
            + "\"max_tokens\":4,\"stream\":true}";

    @TestHTTPResource("/v1/completions")
    URL completions;

    @Test
    void aQueuedStreamGetsItsHeadAndKeepAlivesBeforeItsFirstEvent() throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        CompletableFuture<HttpResponse<String>> holder = client.sendAsync(post(LONG_GENERATION),
                HttpResponse.BodyHandlers.ofString());
        PrometheusScrape.awaitValue("llm_replicas_busy", 1, 5_000);

        HttpResponse<InputStream> stream = client.send(post(QUEUED_STREAM), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, stream.statusCode());
        assertEquals("text/event-stream", stream.headers().firstValue("Content-Type").orElse(null));
        assertEquals("no-cache", stream.headers().firstValue("Cache-Control").orElse(null));
        List<String> lines = new ArrayList<>();
        try (var reader = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                lines.add(line);
            }
        }
        assertEquals(200, holder.get().statusCode());

        int firstData = lines.indexOf(lines.stream().filter(line -> line.startsWith("data: ")).findFirst()
                .orElseThrow());
        assertTrue(lines.subList(0, firstData).contains(": keep-alive"),
                "keep-alive comments while queued: " + lines.subList(0, firstData));
        assertEquals("data: [DONE]", lines.getLast().isEmpty() ? lines.get(lines.size() - 2) : lines.getLast());
        assertTrue(lines.stream().allMatch(line -> line.isEmpty() || line.startsWith("data: ")
                || line.equals(": keep-alive")), "only events, comments and blank lines: " + lines);
    }

    private HttpRequest post(String body) {
        return HttpRequest.newBuilder(URI.create(completions.toString()))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
    }
}
