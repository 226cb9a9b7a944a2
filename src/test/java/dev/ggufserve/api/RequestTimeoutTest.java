package dev.ggufserve.api;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A request past LLM_REQUEST_TIMEOUT ends with a 500 in OpenAI's shape, or an error event once its stream
 * has started, and the replica serves the next request.
 */
@QuarkusTest
@TestProfile(RequestTimeoutTest.ShortLimit.class)
class RequestTimeoutTest {

    public static class ShortLimit implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("llm.request-timeout", "PT0.15S", "llm.replicas", "1");
        }
    }

    /** Far more tokens than 150 ms allow: the whole context with EOS banned. */
    private static final Map<String, Object> ENDLESS = Map.of("model", "llama", "prompt", "Once upon a time",
            "max_tokens", 2040, "logit_bias", Map.of("2", -100));

    @Test
    void aPlainRequestPastTheLimitIs500() throws InterruptedException {
        given().contentType(ContentType.JSON).body(ENDLESS).post("/v1/completions").then()
                .statusCode(500)
                .body("error.type", equalTo("server_error"))
                .body("error.code", equalTo("timeout"));
        PrometheusScrape.awaitValue("llm_replicas_busy", 0, 5_000);
        given().contentType(ContentType.JSON).body(Map.of("model", "llama", "prompt", "Once", "max_tokens", 3))
                .post("/v1/completions").then().statusCode(200);
    }

    @Test
    void aStreamPastTheLimitEndsWithAnErrorEvent() throws Exception {
        Map<String, Object> streaming = new java.util.HashMap<>(ENDLESS);
        streaming.put("stream", true);
        String body = given().contentType(ContentType.JSON).body(streaming).post("/v1/completions").then()
                .statusCode(200).extract().asString();
        List<String> events = List.of(body.split("\n\n"));
        String last = events.getLast();
        assertFalse(body.contains("data: [DONE]"), "a stream cut short does not claim to be done");
        JsonNode error = new ObjectMapper().readTree(last.substring("data: ".length())).path("error");
        assertEquals("timeout", error.path("code").asText(), last);
        assertEquals("server_error", error.path("type").asText(), last);
        assertTrue(events.size() > 1, "tokens came before the limit");
    }
}
