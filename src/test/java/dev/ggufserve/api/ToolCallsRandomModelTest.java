package dev.ggufserve.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ggufserve.testing.ModelSpec;
import dev.ggufserve.testing.RandomModels;
import dev.ggufserve.testing.SchemaValidation;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tool calls on a random-weight model carrying Qwen2.5's real chat template (Hermes-style {@code <tool_call>}
 * blocks, tools rendered by the template itself): whatever the weights, forced calls conform to their parameters,
 * and the whole flow call -> tool result -> answer runs through the template.
 */
@QuarkusTest
@TestProfile(ToolCallsRandomModelTest.RandomModelWithQwenTemplate.class)
class ToolCallsRandomModelTest {

    static final String MODEL = "random-qwen-template";

    public static class RandomModelWithQwenTemplate implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            try (InputStream template = ToolCallsRandomModelTest.class
                    .getResourceAsStream("/fixtures/chat-templates/Qwen-Qwen2.5-7B-Instruct.jinja")) {
                Path file = Files.createTempFile(MODEL, ".gguf");
                file.toFile().deleteOnExit();
                RandomModels.writer(ModelSpec.llama().withContextLength(2048).withName(MODEL))
                        .putString("tokenizer.chat_template", new String(template.readAllBytes(), StandardCharsets.UTF_8))
                        .write(file);
                return Map.of("llm.model-path", file.toString(), "llm.model-id", MODEL);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    static Map<String, Object> request(List<Map<String, Object>> messages, Map<String, Object> extra) {
        Map<String, Object> body = new HashMap<>(Map.of("model", MODEL, "messages", messages, "max_tokens", 400,
                "temperature", 1.0, "tools", StructuredOutputsTest.weatherTools()));
        body.putAll(extra);
        return body;
    }

    static List<Map<String, Object>> question() {
        return List.of(Map.of("role", "user", "content", "What is the weather in Paris?"));
    }

    @Test
    void forcedCallsConformWhateverTheWeights() {
        for (long seed = 1; seed <= 4; seed++) {
            JsonPath reply = ChatCompletionsTest.chat(request(question(), Map.of("seed", seed,
                    "tool_choice", "required", "parallel_tool_calls", false)));
            assertEquals("tool_calls", reply.getString("choices[0].finish_reason"));
            String name = reply.getString("choices[0].message.tool_calls[0].function.name");
            String arguments = reply.getString("choices[0].message.tool_calls[0].function.arguments");
            SchemaValidation.assertConforms(SchemaValidation.parse(name.equals("get_weather")
                    ? StructuredOutputsTest.WEATHER_PARAMETERS
                    : "{\"type\": \"object\", \"additionalProperties\": false}"), arguments);
        }
    }

    @Test
    void streamedCallsCarryTheSameShape() {
        List<JsonNode> events = ChatCompletionsTest.chatStream(request(question(), Map.of("seed", 9, "stream", true,
                "tool_choice", Map.of("type", "function", "function", Map.of("name", "get_weather")))));
        var arguments = new StringBuilder();
        int headers = 0;
        for (JsonNode event : events) {
            for (JsonNode call : event.path("choices").path(0).path("delta").path("tool_calls")) {
                headers += call.has("id") ? 1 : 0;
                arguments.append(call.path("function").path("arguments").asText(""));
            }
        }
        assertEquals(1, headers);
        SchemaValidation.assertConforms(SchemaValidation.parse(StructuredOutputsTest.WEATHER_PARAMETERS),
                arguments.toString());
    }

    @Test
    void callThenToolResultThenAnswer() {
        JsonPath call = ChatCompletionsTest.chat(request(question(), Map.of("seed", 3,
                "tool_choice", Map.of("type", "function", "function", Map.of("name", "get_weather")))));
        Map<String, Object> assistant = call.getMap("choices[0].message");
        String callId = call.getString("choices[0].message.tool_calls[0].id");
        List<Map<String, Object>> conversation = new ArrayList<>(question());
        conversation.add(assistant);
        conversation.add(Map.of("role", "tool", "tool_call_id", callId, "content", "{\"celsius\": 21}"));

        JsonPath answer = ChatCompletionsTest.chat(request(conversation, Map.of("seed", 4, "max_tokens", 12,
                "tool_choice", "none")));
        assertNotNull(answer.getString("choices[0].message.content"));
        assertTrue(answer.getInt("usage.prompt_tokens") > call.getInt("usage.prompt_tokens"),
                "the call and its result are part of the prompt");
        assertFalse(answer.getString("choices[0].finish_reason").equals("tool_calls"));
    }
}
