package dev.ggufserve.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
class ChatCompletionsTest {

    static final List<Map<String, Object>> MESSAGES = List.of(
            Map.of("role", "system", "content", "You tell short stories."),
            Map.of("role", "user", "content", "Tell me about a cat."));

    static Map<String, Object> request(Map<String, Object> extra) {
        Map<String, Object> body = new HashMap<>(Map.of("model", "llama", "messages", MESSAGES,
                "max_tokens", 12, "temperature", 0));
        body.putAll(extra);
        return body;
    }

    static JsonPath chat(Map<String, Object> body) {
        return given().contentType(ContentType.JSON).body(body)
                .post("/v1/chat/completions").then().statusCode(200).extract().jsonPath();
    }

    static List<JsonNode> chatStream(Map<String, Object> body) {
        return SseEvents.parse(given().contentType(ContentType.JSON).body(body)
                .post("/v1/chat/completions").then().statusCode(200)
                .contentType(startsWith("text/event-stream"))
                .extract().asString());
    }

    @Test
    void plainReplyHasOpenAisShape() {
        given().contentType(ContentType.JSON).body(request(Map.of("logit_bias", Map.of("2", -100))))
                .post("/v1/chat/completions").then()
                .statusCode(200)
                .body("id", startsWith("chatcmpl-"))
                .body("object", equalTo("chat.completion"))
                .body("created", greaterThan(0))
                .body("model", equalTo("llama"))
                .body("choices[0].index", equalTo(0))
                .body("choices[0].message.role", equalTo("assistant"))
                .body("choices[0].message.content.length()", greaterThan(0))
                .body("choices[0].logprobs", nullValue())
                .body("choices[0].finish_reason", equalTo("length"))
                .body("usage.completion_tokens", equalTo(12))
                .body("usage.prompt_tokens", greaterThan(10));
    }

    @Test
    void streamSendsTheRoleFirstThenContentThenFinishAndDone() {
        String plain = chat(request(Map.of())).getString("choices[0].message.content");
        List<JsonNode> chunks = chatStream(request(Map.of("stream", true)));

        JsonNode first = chunks.getFirst();
        assertEquals("chat.completion.chunk", first.get("object").asText());
        assertEquals("assistant", first.at("/choices/0/delta/role").asText());
        assertEquals("", first.at("/choices/0/delta/content").asText());
        JsonNode last = chunks.getLast();
        assertEquals(0, last.at("/choices/0/delta").size(), "the finishing chunk has an empty delta");
        assertFalse(last.at("/choices/0/finish_reason").isNull());

        var content = new StringBuilder();
        String id = first.get("id").asText();
        for (JsonNode chunk : chunks) {
            assertEquals(id, chunk.get("id").asText(), "every chunk carries the completion's id");
            assertFalse(chunk.has("usage"));
            content.append(chunk.at("/choices/0/delta/content").asText(""));
        }
        assertEquals(plain, content.toString());
        for (JsonNode middle : chunks.subList(1, chunks.size() - 1)) {
            assertFalse(middle.at("/choices/0/delta").has("role"), "only the first delta has the role");
            assertTrue(middle.at("/choices/0/finish_reason").isNull());
        }
    }

    @Test
    void includeUsageAddsAFinalChunkWithNoChoices() {
        List<JsonNode> chunks = chatStream(request(Map.of("stream", true, "max_tokens", 4,
                "logit_bias", Map.of("2", -100), "stream_options", Map.of("include_usage", true))));

        JsonNode usage = chunks.getLast();
        assertEquals(0, usage.get("choices").size());
        assertEquals(4, usage.at("/usage/completion_tokens").asInt());
        assertEquals("length", chunks.get(chunks.size() - 2).at("/choices/0/finish_reason").asText());
        chunks.subList(0, chunks.size() - 1).forEach(chunk -> assertTrue(chunk.get("usage").isNull()));
    }

    @Test
    void maxCompletionTokensLimitsTheReply() {
        JsonPath reply = chat(request(Map.of("max_completion_tokens", 3, "logit_bias", Map.of("2", -100))));
        assertEquals(3, reply.getInt("usage.completion_tokens"));
        assertEquals("length", reply.getString("choices[0].finish_reason"));
    }

    /**
     * The same seed gives the same reply when the two requests are computed the same way. A first request (another
     * seed) puts the prompt's full KV pages in the prefix cache, so both seeded requests read those pages and compute
     * the same tail. Without it, the first seeded request would compute the whole prompt and the second only its tail,
     * in a tile of another size whose sums can differ in the last bit and, at a near tie, pick another token: the
     * seed is best-effort there, as OpenAI documents it (docs/API.md).
     */
    @Test
    void sameSeedGivesTheSameReply() {
        chat(request(Map.of("temperature", 1.2, "seed", 3, "max_tokens", 1)));
        Map<String, Object> seeded = request(Map.of("temperature", 1.2, "seed", 7, "max_tokens", 30));
        assertEquals(chat(seeded).getString("choices[0].message.content"),
                chat(seeded).getString("choices[0].message.content"));
    }

    @Test
    void logprobsListEveryGeneratedToken() {
        JsonPath reply = chat(request(Map.of("logprobs", true, "top_logprobs", 3, "max_tokens", 5,
                "logit_bias", Map.of("2", -100))));

        List<Map<String, Object>> content = reply.getList("choices[0].logprobs.content");
        assertEquals(5, content.size());
        var joined = new StringBuilder();
        for (Map<String, Object> entry : content) {
            float logprob = ((Number) entry.get("logprob")).floatValue();
            assertTrue(logprob <= 0f);
            List<Map<String, Object>> top = (List<Map<String, Object>>) entry.get("top_logprobs");
            assertEquals(3, top.size());
            assertTrue(((Number) top.getFirst().get("logprob")).floatValue() >= logprob,
                    "greedy picks the most likely token");
            assertEquals(entry.get("token"), top.getFirst().get("token"));
            List<Integer> bytes = (List<Integer>) entry.get("bytes");
            byte[] raw = new byte[bytes.size()];
            for (int i = 0; i < raw.length; i++) {
                raw[i] = bytes.get(i).byteValue();
            }
            joined.append(new String(raw, java.nio.charset.StandardCharsets.UTF_8));
        }
        assertEquals(reply.getString("choices[0].message.content"), joined.toString());
    }

    @Test
    void contentPartsAndTheDeveloperRoleAreAccepted() {
        String plain = chat(request(Map.of())).getString("choices[0].message.content");
        JsonPath parts = chat(request(Map.of("messages", List.of(
                Map.of("role", "developer", "content", List.of(Map.of("type", "text", "text", "You tell short stories."))),
                Map.of("role", "user", "content", List.of(Map.of("type", "text", "text", "Tell me about a cat.")))))));
        assertEquals(plain, parts.getString("choices[0].message.content"),
                "developer is system and one text part is the plain string");
    }

    @Test
    void unknownFieldsAreIgnored() {
        chat(request(Map.of("user", "someone", "parallel_tool_calls", false, "store", false)));
    }
}
