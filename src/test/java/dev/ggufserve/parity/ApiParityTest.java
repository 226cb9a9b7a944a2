package dev.ggufserve.parity;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Parity through the API, as a client sees it: {@code /v1/completions} with a token-id prompt, {@code echo},
 * {@code logprobs: 5} and {@code max_tokens: 0} gives the teacher-forced log-probability of every prompt token,
 * which must meet the project's parity rule against llama.cpp and the exact reference (stories260K, the model
 * the server serves by default; {@link ApiParityRandomModelTest} does the same for a random Phi-3 Q4_K_M file).
 */
@QuarkusTest
class ApiParityTest {

    @Test
    void echoedPromptLogprobsOfStories260KMatchTheReferences() {
        assertApiParity("stories260K", "llama");
    }

    @Test
    void greedyCompletionOfStories260KEqualsLlamaCppText() {
        String expected = ReferenceScores.resource("stories260K.greedy.text.json").trim();
        // The golden file holds llama.cpp's detokenized text as a JSON string.
        String expectedText = new io.vertx.core.json.JsonArray("[" + expected + "]").getString(0);
        JsonPath reply = given().contentType(ContentType.JSON)
                .body(Map.of("model", "llama", "prompt", "Once upon a time", "max_tokens", 64, "temperature", 0))
                .post("/v1/completions").then().statusCode(200).extract().jsonPath();
        assertEquals(expectedText, reply.getString("choices[0].text"));
        assertEquals("length", reply.getString("choices[0].finish_reason"));
    }

    static void assertApiParity(String goldenName, String modelId) {
        ReferenceScores llama = ReferenceScores.load(goldenName, "llama");
        ReferenceScores exact = ReferenceScores.load(goldenName, "exact");
        List<Integer> prompt = Arrays.stream(llama.tokens()).boxed().toList();
        JsonPath reply = given().contentType(ContentType.JSON)
                .body(Map.of("model", modelId, "prompt", prompt, "echo", true, "logprobs", 5, "max_tokens", 0))
                .post("/v1/completions").then().statusCode(200).extract().jsonPath();
        List<Double> tokenLogprobs = reply.getList("choices[0].logprobs.token_logprobs", Double.class);
        List<Map<String, Double>> top = reply.getList("choices[0].logprobs.top_logprobs");
        assertEquals(prompt.size(), tokenLogprobs.size());
        assertNull(tokenLogprobs.getFirst(), "the first prompt token has no log-probability");
        double[] ours = new double[prompt.size() - 1];
        for (int i = 1; i < prompt.size(); i++) {
            ours[i - 1] = tokenLogprobs.get(i);
            // top_logprobs maps token text to log-probability (OpenAI's legacy shape), so alternatives whose
            // text is the same (e.g. byte tokens of incomplete UTF-8, all shown as U+FFFD) share one entry.
            int alternatives = top.get(i).size();
            assertTrue(alternatives >= 1 && alternatives <= 5, alternatives + " alternatives at position " + i);
        }
        ParityVerdict verdict = ParityVerdict.of(ours, llama, exact);
        System.out.printf("api parity %-14s %s%n", goldenName, verdict);
        assertTrue(verdict.passes(), goldenName + " through /v1/completions: " + verdict);
    }
}
