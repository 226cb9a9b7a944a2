package dev.ggufserve.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ggufserve.serving.ModelService;
import dev.ggufserve.tokenizer.Tokenizer;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
class CompletionsTest {

    @Inject
    ModelService modelService;

    static final String PROMPT = "Once upon a time, there was a little girl";

    static JsonPath complete(Map<String, Object> body) {
        return given().contentType(ContentType.JSON).body(body)
                .post("/v1/completions").then().statusCode(200).extract().jsonPath();
    }

    static String streamBody(Map<String, Object> body) {
        return given().contentType(ContentType.JSON).body(body)
                .post("/v1/completions").then().statusCode(200)
                .contentType(startsWith("text/event-stream"))
                .extract().asString();
    }

    static Map<String, Object> greedy(int maxTokens) {
        return Map.of("model", "llama", "prompt", PROMPT, "max_tokens", maxTokens, "temperature", 0);
    }

    @Test
    void plainReplyHasOpenAisShape() {
        given().contentType(ContentType.JSON).body(greedy(8))
                .post("/v1/completions").then()
                .statusCode(200)
                .contentType("application/json")
                .body("id", startsWith("cmpl-"))
                .body("object", equalTo("text_completion"))
                .body("created", greaterThan(0))
                .body("model", equalTo("llama"))
                .body("choices[0].index", equalTo(0))
                .body("choices[0].text", matchesPattern("(?s).+"))
                .body("choices[0].logprobs", nullValue())
                .body("choices[0].finish_reason", equalTo("length"))
                .body("usage.completion_tokens", equalTo(8))
                .body("usage.prompt_tokens", greaterThan(1))
                .body("usage.total_tokens", greaterThan(9));
    }

    @Test
    void defaultsToSixteenTokens() {
        JsonPath reply = complete(Map.of("model", "llama", "prompt", PROMPT, "temperature", 0,
                "logit_bias", Map.of("2", -100)));
        assertEquals(16, reply.getInt("usage.completion_tokens"));
        assertEquals("length", reply.getString("choices[0].finish_reason"));
    }

    @Test
    void streamCarriesTheSameTextAsThePlainReply() {
        String plain = complete(greedy(24)).getString("choices[0].text");
        List<JsonNode> chunks = SseEvents.parse(streamBody(Map.of("model", "llama", "prompt", PROMPT,
                "max_tokens", 24, "temperature", 0, "stream", true)));

        var text = new StringBuilder();
        for (JsonNode chunk : chunks) {
            assertEquals("text_completion", chunk.get("object").asText());
            assertTrue(chunk.get("id").asText().startsWith("cmpl-"));
            assertFalse(chunk.has("usage"), "no usage field without include_usage");
            text.append(chunk.at("/choices/0/text").asText());
        }
        assertEquals(plain, text.toString());
        JsonNode last = chunks.getLast();
        assertEquals("length", last.at("/choices/0/finish_reason").asText());
        chunks.subList(0, chunks.size() - 1).forEach(chunk ->
                assertTrue(chunk.at("/choices/0/finish_reason").isNull(), "only the last chunk finishes"));
    }

    @Test
    void includeUsageAddsAFinalUsageChunk() {
        List<JsonNode> chunks = SseEvents.parse(streamBody(Map.of("model", "llama", "prompt", PROMPT,
                "max_tokens", 5, "temperature", 0, "stream", true,
                "stream_options", Map.of("include_usage", true))));

        JsonNode usageChunk = chunks.getLast();
        assertEquals(0, usageChunk.get("choices").size());
        assertEquals(5, usageChunk.at("/usage/completion_tokens").asInt());
        assertEquals(usageChunk.at("/usage/prompt_tokens").asInt() + 5, usageChunk.at("/usage/total_tokens").asInt());
        chunks.subList(0, chunks.size() - 1).forEach(chunk ->
                assertTrue(chunk.has("usage") && chunk.get("usage").isNull(), "other chunks carry usage: null"));
    }

    @Test
    void sameSeedGivesTheSameText() {
        Map<String, Object> seeded = Map.of("model", "llama", "prompt", PROMPT, "max_tokens", 40,
                "temperature", 1.0, "seed", 1234);
        String first = complete(seeded).getString("choices[0].text");
        String second = complete(seeded).getString("choices[0].text");
        assertEquals(first, second);
        String otherSeed = complete(Map.of("model", "llama", "prompt", PROMPT, "max_tokens", 40,
                "temperature", 1.0, "seed", 99)).getString("choices[0].text");
        assertNotEquals(first, otherSeed, "a different seed samples differently");
    }

    @Test
    void logitBiasBansTheGreedyToken() {
        JsonPath greedyReply = complete(Map.of("model", "llama", "prompt", PROMPT, "max_tokens", 1,
                "temperature", 0, "logprobs", 1));
        String greedyToken = greedyReply.getString("choices[0].logprobs.tokens[0]");
        Map<String, Float> top = greedyReply.getMap("choices[0].logprobs.top_logprobs[0]");
        assertEquals(Map.of(greedyToken, greedyReply.getFloat("choices[0].logprobs.token_logprobs[0]")), top);

        int greedyId = tokenIdOf(greedyToken);
        JsonPath banned = complete(Map.of("model", "llama", "prompt", PROMPT, "max_tokens", 1, "temperature", 0,
                "logprobs", 1, "logit_bias", Map.of(Integer.toString(greedyId), -100)));
        assertNotEquals(greedyToken, banned.getString("choices[0].logprobs.tokens[0]"));
    }

    @Test
    void echoWithLogprobsAndNoNewTokensScoresThePrompt() {
        JsonPath reply = complete(Map.of("model", "llama", "prompt", PROMPT, "max_tokens", 0, "echo", true,
                "logprobs", 3));

        assertEquals(PROMPT, reply.getString("choices[0].text"));
        List<String> tokens = reply.getList("choices[0].logprobs.tokens");
        List<Float> tokenLogprobs = reply.getList("choices[0].logprobs.token_logprobs", Float.class);
        List<Map<String, Float>> top = reply.getList("choices[0].logprobs.top_logprobs");
        List<Integer> offsets = reply.getList("choices[0].logprobs.text_offset", Integer.class);

        assertEquals(PROMPT, String.join("", tokens));
        assertEquals(reply.getInt("usage.prompt_tokens"), tokens.size());
        assertEquals(0, reply.getInt("usage.completion_tokens"));
        assertNull(tokenLogprobs.getFirst());
        assertNull(top.getFirst());
        for (int i = 1; i < tokens.size(); i++) {
            assertTrue(tokenLogprobs.get(i) <= 0f, "a log-probability is at most 0");
            assertEquals(3, top.get(i).size());
            assertTrue(offsets.get(i) >= offsets.get(i - 1), "offsets never decrease");
            assertEquals(offsets.get(i - 1) + tokens.get(i - 1).length(), offsets.get(i));
        }
        assertTrue(offsets.getLast() > offsets.getFirst(), "offsets increase over the prompt");
    }

    @Test
    void promptMayBeTokenIds() {
        JsonPath reply = complete(Map.of("model", "llama", "prompt", List.of(1, 403, 407), "max_tokens", 4,
                "temperature", 0));
        assertEquals(3, reply.getInt("usage.prompt_tokens"));
        assertEquals(4, reply.getInt("usage.completion_tokens"));
    }

    @Test
    void stopSplitAcrossTokensIsCutInPlainAndStreamedReplies() {
        JsonPath reference = complete(Map.of("model", "llama", "prompt", PROMPT, "max_tokens", 30, "temperature", 0,
                "logprobs", 0));
        String text = reference.getString("choices[0].text");
        List<String> tokens = reference.getList("choices[0].logprobs.tokens");
        // A stop made of the end of the third token and the start of the fourth spans a token boundary.
        int boundary = tokens.get(0).length() + tokens.get(1).length() + tokens.get(2).length();
        String stop = text.substring(boundary - 2, boundary + 2);
        String expected = text.substring(0, text.indexOf(stop));

        JsonPath stopped = complete(Map.of("model", "llama", "prompt", PROMPT, "max_tokens", 30, "temperature", 0,
                "stop", List.of(stop)));
        assertEquals(expected, stopped.getString("choices[0].text"));
        assertEquals("stop", stopped.getString("choices[0].finish_reason"));

        List<JsonNode> chunks = SseEvents.parse(streamBody(Map.of("model", "llama", "prompt", PROMPT,
                "max_tokens", 30, "temperature", 0, "stop", stop, "stream", true)));
        var streamed = new StringBuilder();
        chunks.forEach(chunk -> streamed.append(chunk.at("/choices/0/text").asText()));
        assertEquals(expected, streamed.toString());
        assertEquals("stop", chunks.getLast().at("/choices/0/finish_reason").asText());
    }

    /** The id whose token text is {@code tokenText}, from the served model's own tokenizer. */
    private int tokenIdOf(String tokenText) {
        Tokenizer tokenizer = modelService.model().tokenizer();
        for (int id = 0; id < tokenizer.vocabularySize(); id++) {
            if (tokenizer.tokenText(id).equals(tokenText)) {
                return id;
            }
        }
        throw new AssertionError("no token id has the text '" + tokenText + "'");
    }
}
