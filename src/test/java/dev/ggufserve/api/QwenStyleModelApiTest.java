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
 * A Qwen2.5-style model (qwen2 architecture, Qwen2's byte-level BPE vocabulary, Qwen2.5's chat template) through HTTP:
 * prompts tokenize as llama.cpp tokenizes them, and chat renders Qwen's template and stops at {@code <|im_end|>}.
 */
@QuarkusTest
@TestProfile(QwenStyleModelApiTest.ServingQwen.class)
class QwenStyleModelApiTest {

    static final String MODEL = "random-qwen2.5";
    /** {@code <|im_end|>}, Qwen's end of turn. */
    static final int IM_END = 151645;

    public static class ServingQwen implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return ByteLevelModels.qwen2(MODEL);
        }
    }

    @Test
    void echoedPromptHasLlamaCppsTokens() {
        // llama.cpp (llama-oracle tokenize): spaces, a newline, digits one by one, accents, CJK and an emoji split
        // over three byte-level tokens; no BOS for qwen2.
        String prompt = "Héllo wörld 12345\n  naïve 世界 🦙!";
        JsonPath reply = given().contentType(ContentType.JSON)
                .body(Map.of("model", MODEL, "prompt", prompt, "echo", true, "logprobs", 1, "max_tokens", 0))
                .post("/v1/completions").then().statusCode(200).extract().jsonPath();
        List<String> tokens = reply.getList("choices[0].logprobs.tokens", String.class);
        assertEquals(List.of(39, 18503, 385, 289, 9416, 507, 220, 16, 17, 18, 19, 20, 198, 220, 94880, 586, 220,
                99489, 11162, 99, 247, 0).size(), tokens.size(), tokens.toString());
        // The texts of the first 14 ids as llama-oracle detokenize gives them.
        assertEquals(List.of("H", "él", "lo", " w", "ör", "ld", " ", "1", "2", "3", "4", "5", "\n", " "),
                tokens.subList(0, 14));
        assertEquals(prompt, reply.getString("choices[0].text"));
        assertEquals(22, reply.getInt("usage.prompt_tokens"));
    }

    @Test
    void chatRendersQwensTemplateAndStopsAtImEnd() {
        // Random weights rarely pick <|im_end|>, so the bias makes it the first token: generation must stop there.
        JsonPath reply = given().contentType(ContentType.JSON)
                .body(Map.of("model", MODEL, "messages", List.of(Map.of("role", "user", "content", "Hello")),
                        "max_tokens", 8, "logit_bias", Map.of(String.valueOf(IM_END), 100)))
                .post("/v1/chat/completions").then().statusCode(200).extract().jsonPath();
        assertEquals("stop", reply.getString("choices[0].finish_reason"));
        assertEquals("", reply.getString("choices[0].message.content"));
        // "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n
        // <|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n": five special tokens and 18 + 1 + 3 + 1 + 2
        // text tokens as llama.cpp splits the text between them.
        assertEquals(30, reply.getInt("usage.prompt_tokens"));
    }
}
