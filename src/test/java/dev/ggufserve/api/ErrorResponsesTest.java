package dev.ggufserve.api;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.emptyOrNullString;
import static org.hamcrest.Matchers.nullValue;

/** Every refusal is OpenAI's error JSON with the right status, type, param and code. */
@QuarkusTest
class ErrorResponsesTest {

    private static ValidatableResponse post(String path, Object body) {
        return given().contentType(ContentType.JSON).body(body).post(path).then();
    }

    private static Map<String, Object> chat(Map<String, Object> extra) {
        Map<String, Object> body = new HashMap<>(Map.of("model", "llama",
                "messages", List.of(Map.of("role", "user", "content", "Hi")), "max_tokens", 4));
        body.putAll(extra);
        return body;
    }

    private static Map<String, Object> completion(Map<String, Object> extra) {
        Map<String, Object> body = new HashMap<>(Map.of("model", "llama", "prompt", "Once", "max_tokens", 4));
        body.putAll(extra);
        return body;
    }

    private static void assertInvalid(ValidatableResponse response, String param) {
        response.statusCode(400)
                .contentType("application/json")
                .body("error.type", equalTo("invalid_request_error"))
                .body("error.param", param == null ? nullValue() : equalTo(param))
                .body("error.message", not(emptyOrNullString()));
    }

    @Test
    void malformedJsonIs400WithoutParam() {
        assertInvalid(post("/v1/chat/completions", "{\"model\": \"llama\", "), null);
        assertInvalid(post("/v1/completions", "[1, 2]"), null);
        assertInvalid(post("/v1/completions", ""), null);
    }

    @Test
    void wrongTypesNameTheParam() {
        assertInvalid(post("/v1/completions", completion(Map.of("max_tokens", "12"))), "max_tokens");
        assertInvalid(post("/v1/completions", completion(Map.of("max_tokens", 1.5))), "max_tokens");
        assertInvalid(post("/v1/completions", completion(Map.of("max_tokens", 99_999_999_999L))), "max_tokens");
        assertInvalid(post("/v1/chat/completions", chat(Map.of("messages", List.of(Map.of("role", "user",
                "content", "x", "extra", 99_999_999_999L)), "top_k", 99_999_999_999L))), "top_k");
        assertInvalid(post("/v1/completions", completion(Map.of("temperature", "hot"))), "temperature");
        assertInvalid(post("/v1/completions", completion(Map.of("stream", 1))), "stream");
        assertInvalid(post("/v1/chat/completions", chat(Map.of("messages", "Hi"))), "messages");
        assertInvalid(post("/v1/chat/completions", chat(Map.of("messages", List.of(Map.of("role", 5, "content", "x"))))),
                "messages.[0].role");
        assertInvalid(post("/v1/completions", completion(Map.of("logit_bias", Map.of("5", "up")))), "logit_bias.5");
    }

    @Test
    void outOfRangeValuesNameTheParam() {
        assertInvalid(post("/v1/completions", completion(Map.of("temperature", 2.5))), "temperature");
        assertInvalid(post("/v1/completions", completion(Map.of("top_p", 1.1))), "top_p");
        assertInvalid(post("/v1/completions", completion(Map.of("top_k", -1))), "top_k");
        assertInvalid(post("/v1/completions", completion(Map.of("min_p", -0.1))), "min_p");
        assertInvalid(post("/v1/completions", completion(Map.of("presence_penalty", 3))), "presence_penalty");
        assertInvalid(post("/v1/completions", completion(Map.of("frequency_penalty", -2.5))), "frequency_penalty");
        assertInvalid(post("/v1/completions", completion(Map.of("max_tokens", -1))), "max_tokens");
        assertInvalid(post("/v1/chat/completions", chat(Map.of("max_tokens", 0))), "max_tokens");
        assertInvalid(post("/v1/completions", completion(Map.of("logprobs", 6))), "logprobs");
        assertInvalid(post("/v1/chat/completions", chat(Map.of("logprobs", true, "top_logprobs", 21))), "top_logprobs");
        assertInvalid(post("/v1/chat/completions", chat(Map.of("top_logprobs", 2))), "top_logprobs");
        assertInvalid(post("/v1/completions", completion(Map.of("n", 2))), "n");
        assertInvalid(post("/v1/completions", completion(Map.of("stream_options", Map.of("include_usage", true)))),
                "stream_options");
    }

    @Test
    void logitBiasKeysMustBeTokenIdsOfThisModel() {
        assertInvalid(post("/v1/completions", completion(Map.of("logit_bias", Map.of("abc", 1)))), "logit_bias");
        assertInvalid(post("/v1/completions", completion(Map.of("logit_bias", Map.of("512", 1)))), "logit_bias");
        assertInvalid(post("/v1/completions", completion(Map.of("logit_bias", Map.of("5", 101)))), "logit_bias");
    }

    @Test
    void stopIsAStringOrUpToFourStrings() {
        assertInvalid(post("/v1/completions", completion(Map.of("stop", List.of("a", "b", "c", "d", "e")))), "stop");
        assertInvalid(post("/v1/completions", completion(Map.of("stop", List.of(1)))), "stop");
        assertInvalid(post("/v1/completions", completion(Map.of("stop", ""))), "stop");
    }

    @Test
    void messagesMustBeValid() {
        assertInvalid(post("/v1/chat/completions", chat(Map.of("messages", List.of()))), "messages");
        Map<String, Object> withoutMessages = chat(Map.of());
        withoutMessages.remove("messages");
        assertInvalid(post("/v1/chat/completions", withoutMessages), "messages");
        assertInvalid(post("/v1/chat/completions", chat(Map.of("messages", List.of(Map.of("role", "wizard",
                "content", "x"))))), "messages.[0].role");
        Map<String, Object> nullContent = new HashMap<>();
        nullContent.put("role", "user");
        nullContent.put("content", null);
        assertInvalid(post("/v1/chat/completions", chat(Map.of("messages", List.of(nullContent)))),
                "messages.[0].content");
        assertInvalid(post("/v1/chat/completions", chat(Map.of("messages", List.of(Map.of("role", "user",
                "content", List.of(Map.of("type", "image_url", "image_url", Map.of("url", "x")))))))),
                "messages.[0].content");
    }

    @Test
    void promptMustBeValid() {
        assertInvalid(post("/v1/completions", completion(Map.of("prompt", ""))), "prompt");
        assertInvalid(post("/v1/completions", completion(Map.of("prompt", List.of()))), "prompt");
        assertInvalid(post("/v1/completions", completion(Map.of("prompt", List.of("a", "b")))), "prompt");
        assertInvalid(post("/v1/completions", completion(Map.of("prompt", List.of(1, 512)))), "prompt");
        assertInvalid(post("/v1/completions", completion(Map.of("prompt", List.of(1, -1)))), "prompt");
        Map<String, Object> withoutPrompt = completion(Map.of());
        withoutPrompt.remove("prompt");
        assertInvalid(post("/v1/completions", withoutPrompt), "prompt");
    }

    @Test
    void contextLengthExceededNamesThePromptOrMessages() {
        post("/v1/completions", completion(Map.of("max_tokens", 5000))).statusCode(400)
                .body("error.type", equalTo("invalid_request_error"))
                .body("error.code", equalTo("context_length_exceeded"))
                .body("error.param", equalTo("prompt"));
        post("/v1/chat/completions", chat(Map.of("max_tokens", 2048))).statusCode(400)
                .body("error.code", equalTo("context_length_exceeded"))
                .body("error.param", equalTo("messages"));
        String longPrompt = "Once upon a time ".repeat(600);
        post("/v1/completions", completion(Map.of("prompt", longPrompt))).statusCode(400)
                .body("error.code", equalTo("context_length_exceeded"));
    }

    @Test
    void unknownModelIs404() {
        for (String path : List.of("/v1/chat/completions", "/v1/completions")) {
            Map<String, Object> body = path.contains("chat") ? chat(Map.of("model", "gpt-4o"))
                    : completion(Map.of("model", "gpt-4o"));
            post(path, body).statusCode(404)
                    .body("error.type", equalTo("invalid_request_error"))
                    .body("error.code", equalTo("model_not_found"))
                    .body("error.param", equalTo("model"));
        }
    }

    @Test
    void missingModelIs400() {
        Map<String, Object> body = completion(Map.of());
        body.remove("model");
        assertInvalid(post("/v1/completions", body), "model");
    }
}
