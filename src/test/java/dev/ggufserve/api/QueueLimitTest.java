package dev.ggufserve.api;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
@TestProfile(QueueLimitTest.OneReplicaOneWaiting.class)
class QueueLimitTest {

    /** One request generates (a batch of one) and one waits; every further one arriving meanwhile is refused. */
    public static class OneReplicaOneWaiting implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("llm.replicas", "1", "llm.max-batch", "1", "llm.max-queue", "1");
        }
    }

    /**
     * Each request generates nearly the whole context with EOS banned (tens of milliseconds at least),
     * and all are sent at once, so far more than two are in flight together.
     */
    private static final String LONG_GENERATION = "{\"model\":\"llama\",\"prompt\":\"Once upon a time\","
            + "\"max_tokens\":2000,\"logit_bias\":{\"2\":-100}}";
    private static final int CONCURRENT_REQUESTS = 12;

    @TestHTTPResource("/v1/completions")
    URL completions;

    @Test
    void requestsBeyondTheQueueAre429WithRetryAfter() throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        HttpRequest request = HttpRequest.newBuilder(URI.create(completions.toString()))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(LONG_GENERATION))
                .build();
        List<CompletableFuture<HttpResponse<String>>> pending = new ArrayList<>();
        for (int i = 0; i < CONCURRENT_REQUESTS; i++) {
            pending.add(client.sendAsync(request, HttpResponse.BodyHandlers.ofString()));
        }

        int served = 0;
        int refused = 0;
        for (CompletableFuture<HttpResponse<String>> future : pending) {
            HttpResponse<String> response = future.get();
            if (response.statusCode() == 200) {
                served++;
            } else {
                assertEquals(429, response.statusCode(), response.body());
                assertEquals("1", response.headers().firstValue("Retry-After").orElse(null));
                assertTrue(response.body().contains("\"code\":\"rate_limit_exceeded\""), response.body());
                assertTrue(response.body().contains("\"type\":\"requests\""), response.body());
                refused++;
            }
        }
        assertTrue(served >= 2, "the generating and the waiting request are served: " + served);
        assertTrue(refused >= 1, "requests beyond the queue are refused: " + refused);
        PrometheusScrape.awaitValue("llm_queue_depth", 0, 5_000);
        PrometheusScrape.awaitValue("llm_replicas_busy", 0, 5_000);
    }
}
