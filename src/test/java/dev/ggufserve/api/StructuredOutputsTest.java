package dev.ggufserve.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ggufserve.testing.SchemaValidation;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** response_format and tools through HTTP on the bundled demo model (no template: the generic tool prompt). */
@QuarkusTest
class StructuredOutputsTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String PERSON_SCHEMA = """
            {"type": "object", "properties": {
               "name": {"type": "string", "maxLength": 10},
               "age": {"type": "integer"},
               "mood": {"enum": ["happy", "sad", null]},
               "friends": {"type": "array", "items": {"type": "string", "maxLength": 6}, "maxItems": 2}},
             "required": ["name", "age", "mood", "friends"], "additionalProperties": false}""";
    static final String WEATHER_PARAMETERS = """
            {"type": "object", "properties": {
               "city": {"type": "string", "maxLength": 12},
               "unit": {"enum": ["celsius", "fahrenheit"]}},
             "required": ["city", "unit"], "additionalProperties": false}""";

    static JsonNode json(String text) {
        return SchemaValidation.parse(text);
    }

    static Map<String, Object> request(Map<String, Object> extra) {
        Map<String, Object> body = new HashMap<>(ChatCompletionsTest.request(Map.of("max_tokens", 120,
                "temperature", 1.0, "seed", 5)));
        body.putAll(extra);
        return body;
    }

    static Map<String, Object> jsonSchemaFormat(String schema) {
        return Map.of("type", "json_schema", "json_schema", Map.of("name", "person", "strict", true,
                "schema", JSON.convertValue(json(schema), Map.class)));
    }

    static List<Map<String, Object>> weatherTools() {
        return List.of(
                Map.of("type", "function", "function", Map.of("name", "get_weather", "description",
                        "The weather in a city", "parameters", JSON.convertValue(json(WEATHER_PARAMETERS), Map.class))),
                Map.of("type", "function", "function", Map.of("name", "get_time")));
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4})
    void jsonSchemaRepliesConform(long seed) {
        JsonPath reply = ChatCompletionsTest.chat(request(Map.of("seed", seed,
                "response_format", jsonSchemaFormat(PERSON_SCHEMA))));
        assertEquals("stop", reply.getString("choices[0].finish_reason"));
        SchemaValidation.assertConforms(json(PERSON_SCHEMA), reply.getString("choices[0].message.content"));
    }

    @Test
    void streamedJsonSchemaReplyConforms() {
        var text = new StringBuilder();
        for (JsonNode event : ChatCompletionsTest.chatStream(request(Map.of("stream", true,
                "response_format", jsonSchemaFormat(PERSON_SCHEMA))))) {
            text.append(event.path("choices").path(0).path("delta").path("content").asText(""));
        }
        SchemaValidation.assertConforms(json(PERSON_SCHEMA), text.toString());
    }

    @Test
    void jsonObjectRepliesAreObjectsOrEndForLength() {
        for (long seed = 1; seed <= 3; seed++) {
            JsonPath reply = ChatCompletionsTest.chat(request(Map.of("seed", seed, "max_tokens", 200,
                    "response_format", Map.of("type", "json_object"))));
            String content = reply.getString("choices[0].message.content");
            assertTrue(content.startsWith("{"), content);
            if (reply.getString("choices[0].finish_reason").equals("stop")) {
                assertTrue(json(content).isObject(), content);
            } else {
                assertEquals("length", reply.getString("choices[0].finish_reason"));
            }
        }
    }

    @Test
    void completionsTakeResponseFormatToo() {
        JsonPath reply = given().contentType(ContentType.JSON).body(Map.of("model", "llama", "prompt", "A pet:",
                        "max_tokens", 120, "seed", 2, "response_format", jsonSchemaFormat(PERSON_SCHEMA)))
                .post("/v1/completions").then().statusCode(200).extract().jsonPath();
        assertEquals("stop", reply.getString("choices[0].finish_reason"));
        SchemaValidation.assertConforms(json(PERSON_SCHEMA), reply.getString("choices[0].text"));
    }

    @Test
    void textFormatIsAPlainReply() {
        JsonPath reply = ChatCompletionsTest.chat(request(Map.of("response_format", Map.of("type", "text"))));
        assertFalse(reply.getString("choices[0].message.content").isEmpty());
    }

    @Test
    void requiredToolChoiceGivesConformingCalls() {
        for (long seed = 1; seed <= 3; seed++) {
            // One call is about 100 tokens of this 512-token vocabulary; parallel calls would need far more.
            JsonPath reply = ChatCompletionsTest.chat(request(Map.of("seed", seed, "tools", weatherTools(),
                    "tool_choice", "required", "parallel_tool_calls", false, "max_tokens", 300)));
            assertEquals("tool_calls", reply.getString("choices[0].finish_reason"));
            assertNull(reply.get("choices[0].message.content"));
            List<Map<String, Object>> calls = reply.getList("choices[0].message.tool_calls");
            assertFalse(calls.isEmpty());
            for (int i = 0; i < calls.size(); i++) {
                String prefix = "choices[0].message.tool_calls[" + i + "].";
                assertTrue(reply.getString(prefix + "id").startsWith("call_"));
                assertEquals("function", reply.getString(prefix + "type"));
                String name = reply.getString(prefix + "function.name");
                String arguments = reply.getString(prefix + "function.arguments");
                if (name.equals("get_weather")) {
                    SchemaValidation.assertConforms(json(WEATHER_PARAMETERS), arguments);
                } else {
                    assertEquals("get_time", name);
                    assertEquals(json("{}"), json(arguments));
                }
            }
        }
    }

    @Test
    void namedFunctionIsCalledOnce() {
        JsonPath reply = ChatCompletionsTest.chat(request(Map.of("tools", weatherTools(), "max_tokens", 300,
                "tool_choice", Map.of("type", "function", "function", Map.of("name", "get_weather")))));
        assertEquals("tool_calls", reply.getString("choices[0].finish_reason"));
        assertEquals(1, reply.getList("choices[0].message.tool_calls").size());
        assertEquals("get_weather", reply.getString("choices[0].message.tool_calls[0].function.name"));
        SchemaValidation.assertConforms(json(WEATHER_PARAMETERS),
                reply.getString("choices[0].message.tool_calls[0].function.arguments"));
    }

    @Test
    void streamedToolCallsFollowOpenAisChunkShape() {
        List<JsonNode> events = ChatCompletionsTest.chatStream(request(Map.of("stream", true, "tools", weatherTools(),
                "max_tokens", 300,
                "tool_choice", Map.of("type", "function", "function", Map.of("name", "get_weather")))));
        var arguments = new StringBuilder();
        String id = null;
        List<String> finishReasons = new ArrayList<>();
        for (JsonNode event : events) {
            JsonNode choice = event.path("choices").path(0);
            if (!choice.path("finish_reason").isNull() && !choice.path("finish_reason").isMissingNode()) {
                finishReasons.add(choice.path("finish_reason").asText());
            }
            for (JsonNode call : choice.path("delta").path("tool_calls")) {
                assertEquals(0, call.path("index").asInt());
                if (call.has("id")) {
                    assertNull(id, "only the first piece carries the id");
                    id = call.get("id").asText();
                    assertEquals("function", call.path("type").asText());
                    assertEquals("get_weather", call.path("function").path("name").asText());
                    assertEquals("", call.path("function").path("arguments").asText());
                } else {
                    assertFalse(call.has("type"));
                    assertFalse(call.path("function").has("name"));
                }
                arguments.append(call.path("function").path("arguments").asText(""));
            }
        }
        assertNotNull(id);
        assertEquals(List.of("tool_calls"), finishReasons);
        SchemaValidation.assertConforms(json(WEATHER_PARAMETERS), arguments.toString());
    }

    @Test
    void autoToolChoiceGivesTextOrWellFormedCalls() {
        for (long seed = 1; seed <= 4; seed++) {
            JsonPath reply = ChatCompletionsTest.chat(request(Map.of("seed", seed, "tools", weatherTools())));
            List<Map<String, Object>> calls = reply.getList("choices[0].message.tool_calls");
            if (calls == null) {
                assertNotNull(reply.getString("choices[0].message.content"));
            } else {
                assertEquals("tool_calls", reply.getString("choices[0].finish_reason"));
            }
        }
    }

    @Test
    void toolResultsFlowIntoTheNextTurn() {
        List<Map<String, Object>> messages = List.of(
                Map.of("role", "user", "content", "What is the weather in Paris?"),
                Map.of("role", "assistant", "tool_calls", List.of(Map.of("id", "call_abc", "type", "function",
                        "function", Map.of("name", "get_weather",
                                "arguments", "{\"city\": \"Paris\", \"unit\": \"celsius\"}")))),
                Map.of("role", "tool", "tool_call_id", "call_abc", "content", "{\"temperature\": 21}"));
        JsonPath reply = ChatCompletionsTest.chat(request(Map.of("messages", messages, "tools", weatherTools(),
                "tool_choice", "none", "max_tokens", 8)));
        assertNotNull(reply.getString("choices[0].message.content"));
        assertNull(reply.get("choices[0].message.tool_calls"));
    }

    @Test
    void resultsOfParallelCallsBecomeOneUserTurnWhenTheTemplateHasNoToolRole() {
        // The demo model's template (Phi-3's format) has no tool role, so results reach it as user messages.
        Map<String, Object> question = Map.of("role", "user", "content", "Weather in Paris and Rome?");
        Map<String, Object> calls = Map.of("role", "assistant", "tool_calls", List.of(
                Map.of("id", "call_1", "type", "function", "function", Map.of("name", "get_weather",
                        "arguments", "{\"city\": \"Paris\"}")),
                Map.of("id", "call_2", "type", "function", "function", Map.of("name", "get_weather",
                        "arguments", "{\"city\": \"Rome\"}"))));
        List<Map<String, Object>> asTools = List.of(question, calls,
                Map.of("role", "tool", "tool_call_id", "call_1", "content", "21"),
                Map.of("role", "tool", "tool_call_id", "call_2", "content", "25"));
        List<Map<String, Object>> asOneUserTurn = List.of(question, calls, Map.of("role", "user", "content",
                "<tool_response>\n21\n</tool_response>\n<tool_response>\n25\n</tool_response>"));

        int promptTokens = ChatCompletionsTest.chat(request(Map.of("messages", asTools, "max_tokens", 1)))
                .getInt("usage.prompt_tokens");
        assertEquals(ChatCompletionsTest.chat(request(Map.of("messages", asOneUserTurn, "max_tokens", 1)))
                .getInt("usage.prompt_tokens"), promptTokens, "the same prompt");
    }

    @ParameterizedTest
    @ValueSource(strings = {"pattern", "format", "minimum", "oneOf", "allOf", "uniqueItems"})
    void unsupportedKeywordsGet400NamingThem(String keyword) {
        String schema = "{\"type\": \"object\", \"properties\": {\"x\": {\"type\": \"string\", \"" + keyword
                + "\": 1}}}";
        given().contentType(ContentType.JSON).body(request(Map.of("response_format", jsonSchemaFormat(schema))))
                .post("/v1/chat/completions").then()
                .statusCode(400)
                .body("error.type", equalTo("invalid_request_error"))
                .body("error.param", equalTo("response_format.json_schema.schema"))
                .body("error.message", containsString("'" + keyword + "'"));
    }

    @Test
    void badRequestsGet400NamingTheParam() {
        Map<String, Map<String, Object>> cases = Map.of(
                "response_format.type", Map.of("response_format", Map.of("type", "yaml")),
                "response_format.json_schema.schema", Map.of("response_format", Map.of("type", "json_schema",
                        "json_schema", Map.of("name", "x"))),
                "tools[0].function.name", Map.of("tools", List.of(Map.of("type", "function",
                        "function", Map.of("name", "bad name")))),
                "tools[1].function.parameters", Map.of("tools", List.of(weatherTools().getFirst(), Map.of("type",
                        "function", "function", Map.of("name", "f", "parameters", Map.of("type", "object",
                                "properties", Map.of("x", Map.of("type", "string", "pattern", "a+"))))))),
                "tool_choice", Map.of("tools", weatherTools(), "tool_choice", Map.of("type", "function",
                        "function", Map.of("name", "missing"))),
                "messages.[1].tool_call_id", Map.of("messages", List.of(Map.of("role", "user", "content", "x"),
                        Map.of("role", "tool", "content", "y"))));
        cases.forEach((param, extra) -> given().contentType(ContentType.JSON).body(request(extra))
                .post("/v1/chat/completions").then()
                .statusCode(400)
                .body("error.type", equalTo("invalid_request_error"))
                .body("error.param", equalTo(param)));
        given().contentType(ContentType.JSON).body(request(Map.of("tool_choice", "required")))
                .post("/v1/chat/completions").then().statusCode(400).body("error.param", equalTo("tool_choice"));
    }
}
