package dev.ggufserve.api;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
class HealthAndMetricsTest {

    @Test
    void livenessReadinessAndStartupAreUp() {
        given().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
        given().get("/q/health/ready").then().statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks.name", hasItem("model-warmed-up"));
        given().get("/q/health/started").then().statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks.name", hasItem("model-loaded"));
    }

    @Test
    void servingMetricsAreExported() {
        double promptBefore = PrometheusScrape.value("llm_prompt_tokens_total");
        double completionBefore = PrometheusScrape.value("llm_completion_tokens_total");
        double successBefore = PrometheusScrape.value(
                "llm_requests_total{endpoint=\"/v1/completions\",outcome=\"success\"}");
        int promptTokens = given().contentType(ContentType.JSON)
                .body(Map.of("model", "llama", "prompt", "Once upon a time", "max_tokens", 5,
                        "logit_bias", Map.of("2", -100)))
                .post("/v1/completions").then().statusCode(200)
                .extract().jsonPath().getInt("usage.prompt_tokens");
        given().contentType(ContentType.JSON).body(Map.of("model", "nope", "prompt", "x"))
                .post("/v1/completions").then().statusCode(404);

        String metrics = PrometheusScrape.scrape();
        for (String name : List.of("llm_requests_total", "llm_prompt_tokens_total", "llm_completion_tokens_total",
                "llm_time_to_first_token_seconds_count", "llm_time_per_output_token_seconds_count",
                "llm_queue_depth", "llm_replicas_busy", "llm_model_load_seconds")) {
            assertTrue(metrics.contains("\n" + name), name + " is exported");
        }
        assertEquals(promptBefore + promptTokens, PrometheusScrape.value("llm_prompt_tokens_total"));
        assertEquals(completionBefore + 5, PrometheusScrape.value("llm_completion_tokens_total"));
        assertEquals(successBefore + 1, PrometheusScrape.value(
                "llm_requests_total{endpoint=\"/v1/completions\",outcome=\"success\"}"));
        assertTrue(PrometheusScrape.value("llm_requests_total{endpoint=\"/v1/completions\",outcome=\"not_found\"}") >= 1);
        assertTrue(PrometheusScrape.value("llm_model_load_seconds") > 0);
        given().get("/q/metrics").then().body(containsString("llm_replicas_busy 0.0"));
    }

    @Test
    void kvPageGaugesShowWhatThePrefixCacheKeeps() {
        // 40 prompt tokens (ids within the demo model's 512) and 2 generated: 41 positions computed, so two full
        // 16-position pages are published.
        List<Integer> prompt = IntStream.range(0, 40).map(i -> 100 + 7 * i % 400).boxed().toList();
        given().contentType(ContentType.JSON)
                .body(Map.of("model", "llama", "prompt", prompt, "max_tokens", 2, "logit_bias", Map.of("2", -100)))
                .post("/v1/completions").then().statusCode(200);

        assertEquals(0, PrometheusScrape.value("llm_kv_pages_used"), "no request is running");
        double cached = PrometheusScrape.value("llm_kv_pages_cached");
        assertTrue(cached >= 2, "the finished request's full pages stay cached: " + cached);
        assertTrue(PrometheusScrape.value("llm_kv_pages_free") >= cached, "cached pages are reusable, so free");
    }
}
