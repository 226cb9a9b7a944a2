package dev.ggufserve.api;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A Llama-3.2-style model (llama architecture with rope_freqs and a tied head, Llama 3's byte-level BPE vocabulary,
 * Llama 3.2's chat template) through HTTP: BOS is added, prompts tokenize as llama.cpp tokenizes them, and chat
 * stops at {@code <|eot_id|>}.
 */
@QuarkusTest
@TestProfile(Llama3StyleModelApiTest.ServingLlama3.class)
class Llama3StyleModelApiTest {

    static final String MODEL = "random-llama3.2";
    static final int EOT_ID = 128009;

    public static class ServingLlama3 implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return ByteLevelModels.llama3(MODEL);
        }
    }

    @Test
    void echoedPromptHasBosAndLlamaCppsTokens() {
        // llama.cpp: 39,19010,385,289,9603,509,220,4513,1774,198,220,95980,588,127365,11410,99,247,0 (digits in
        // groups of three), after BOS.
        String prompt = "Héllo wörld 12345\n  naïve 世界 🦙!";
        JsonPath reply = given().contentType(ContentType.JSON)
                .body(Map.of("model", MODEL, "prompt", prompt, "echo", true, "logprobs", 1, "max_tokens", 0))
                .post("/v1/completions").then().statusCode(200).extract().jsonPath();
        List<String> tokens = reply.getList("choices[0].logprobs.tokens", String.class);
        assertEquals(1 + 18, tokens.size(), tokens.toString());
        // BOS shows no text (a control token); then the texts of the first ids as llama-oracle detokenize gives them.
        assertEquals(List.of("", "H", "él", "lo", " w", "ör", "ld", " ", "123", "45", "\n", " "),
                tokens.subList(0, 12));
        assertEquals(19, reply.getInt("usage.prompt_tokens"));
    }

    @Test
    void chatRendersLlamasTemplateAndStopsAtEotId() {
        JsonPath reply = given().contentType(ContentType.JSON)
                .body(Map.of("model", MODEL, "messages", List.of(Map.of("role", "user", "content", "Hello")),
                        "max_tokens", 8, "logit_bias", Map.of(String.valueOf(EOT_ID), 100)))
                .post("/v1/chat/completions").then().statusCode(200).extract().jsonPath();
        assertEquals("stop", reply.getString("choices[0].finish_reason"));
        assertEquals("", reply.getString("choices[0].message.content"));
        // The template writes <|begin_of_text|> itself (not doubled), then 8 header/turn tokens and 27 text tokens
        // ("system", "\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n", "user",
        // "\n\nHello", "assistant", "\n\n" as llama.cpp splits them).
        assertEquals(36, reply.getInt("usage.prompt_tokens"));
    }
}
