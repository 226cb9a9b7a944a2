package dev.ggufserve.api;

import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
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
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The first step of shutdown, which Quarkus takes on SIGTERM before it waits for the requests in flight:
 * readiness goes DOWN and new requests get 503, while a stream already running ends normally. (The real
 * SIGTERM, grace period and exit are checked by bench/load.sh against the packaged server.)
 */
@QuarkusTest
@TestProfile(ShutdownTest.OwnApplication.class)
class ShutdownTest {

    /** The application is left shutting down, so no other test class may share it. */
    public static class OwnApplication implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("llm.replicas", "1");
        }
    }

    @Inject
    Event<ShutdownDelayInitiatedEvent> shutdownStarts;

    @TestHTTPResource("/v1/completions")
    URL completions;

    @Test
    void readinessGoesDownNewRequestsAreRefusedAndTheStreamInFlightFinishes() throws Exception {
        given().get("/q/health/ready").then().statusCode(200);
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpResponse<InputStream> stream = client.send(post("{\"model\":\"llama\",\"prompt\":\"Once upon a time\","
                + "\"max_tokens\":1500,\"stream\":true,\"logit_bias\":{\"2\":-100}}"),
                HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, stream.statusCode());
        try (var events = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
            String line = events.readLine();
            assertTrue(line.startsWith("data: "), line);

            shutdownStarts.fire(new ShutdownDelayInitiatedEvent());

            given().get("/q/health/ready").then().statusCode(503);
            HttpResponse<String> refused = client.send(post("{\"model\":\"llama\",\"prompt\":\"Hi\",\"max_tokens\":2}"),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(503, refused.statusCode(), refused.body());
            assertTrue(refused.body().contains("\"code\":\"server_shutting_down\""), refused.body());
            assertTrue(refused.body().contains("\"type\":\"server_error\""), refused.body());

            String last = line;
            for (line = events.readLine(); line != null; line = events.readLine()) {
                if (!line.isEmpty()) {
                    last = line;
                }
            }
            assertEquals("data: [DONE]", last);
        }
        given().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
    }

    private HttpRequest post(String body) {
        return HttpRequest.newBuilder(URI.create(completions.toString()))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
    }
}
