package dev.ggufserve.api;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.helpers.ChatCompletionAccumulator;
import com.openai.models.ResponseFormatJsonSchema;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionNamedToolChoice;
import com.openai.models.chat.completions.ChatCompletionToolChoiceOption;
import com.openai.models.chat.completions.StructuredChatCompletion;
import com.openai.models.chat.completions.StructuredChatCompletionCreateParams;
import com.openai.core.JsonValue;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Structured outputs and tool calls through the official OpenAI Java SDK and its helpers, on the demo model. */
@QuarkusTest
class OpenAiSdkStructuredTest {

    @TestHTTPResource("/v1")
    URL baseUrl;

    public enum Mood { HAPPY, SAD }

    /** A class the SDK turns into a strict JSON schema and parses the reply into. */
    public static class Pet {
        public String name;
        public Mood mood;
        public long legs;
        public boolean sleeping;
    }

    @JsonClassDescription("Gets the weather in a city")
    public static class GetWeather {
        public String city;
        public Mood mood;
    }

    private OpenAIClient client() {
        return OpenAIOkHttpClient.builder().baseUrl(baseUrl.toString()).apiKey("not-checked-here").build();
    }

    private static ChatCompletionCreateParams.Builder chat() {
        return ChatCompletionCreateParams.builder()
                .model("llama")
                .addUserMessage("Tell me about a pet.")
                .maxCompletionTokens(300)
                .temperature(1.0)
                .seed(3);
    }

    @Test
    void structuredOutputParsesIntoTheClass() {
        StructuredChatCompletionCreateParams<Pet> params = chat().responseFormat(Pet.class).build();
        StructuredChatCompletion<Pet> completion = client().chat().completions().create(params);
        Pet pet = completion.choices().getFirst().message().content().orElseThrow();
        assertNotNull(pet.name);
        assertNotNull(pet.mood);
    }

    @Test
    void jsonSchemaResponseFormatConforms() {
        var schema = ResponseFormatJsonSchema.JsonSchema.Schema.builder()
                .putAdditionalProperty("type", JsonValue.from("object"))
                .putAdditionalProperty("properties", JsonValue.from(Map.of(
                        "answer", Map.of("type", "string", "maxLength", 8),
                        "score", Map.of("type", "number"))))
                .putAdditionalProperty("required", JsonValue.from(List.of("answer", "score")))
                .putAdditionalProperty("additionalProperties", JsonValue.from(false))
                .build();
        ChatCompletion completion = client().chat().completions().create(chat()
                .responseFormat(ResponseFormatJsonSchema.builder().jsonSchema(ResponseFormatJsonSchema.JsonSchema
                        .builder().name("answer").schema(schema).strict(true).build()).build())
                .build());
        String content = completion.choices().getFirst().message().content().orElseThrow();
        dev.ggufserve.testing.SchemaValidation.assertConforms(dev.ggufserve.testing.SchemaValidation.parse("""
                {"type": "object", "properties": {"answer": {"type": "string", "maxLength": 8},
                 "score": {"type": "number"}}, "required": ["answer", "score"], "additionalProperties": false}"""),
                content);
    }

    @Test
    void requiredToolCallParsesIntoTheToolClass() {
        ChatCompletion completion = client().chat().completions().create(chat()
                .addTool(GetWeather.class)
                .toolChoice(ChatCompletionToolChoiceOption.Auto.REQUIRED)
                .parallelToolCalls(false)
                .build());
        ChatCompletion.Choice choice = completion.choices().getFirst();
        assertEquals(ChatCompletion.Choice.FinishReason.TOOL_CALLS, choice.finishReason());
        ChatCompletionMessageFunctionToolCall call = choice.message().toolCalls().orElseThrow().getFirst().asFunction();
        assertEquals("GetWeather", call.function().name());
        GetWeather arguments = call.function().arguments(GetWeather.class);
        assertNotNull(arguments.city);
        assertNotNull(arguments.mood);
    }

    @Test
    void streamedToolCallAccumulatesIntoACompleteCall() {
        var accumulator = ChatCompletionAccumulator.create();
        try (StreamResponse<ChatCompletionChunk> stream = client().chat().completions().createStreaming(chat()
                .addTool(GetWeather.class)
                .toolChoice(ChatCompletionNamedToolChoice.builder()
                        .function(ChatCompletionNamedToolChoice.Function.builder().name("GetWeather").build())
                        .build())
                .build())) {
            stream.stream().forEach(accumulator::accumulate);
        }
        ChatCompletion.Choice choice = accumulator.chatCompletion().choices().getFirst();
        assertEquals(ChatCompletion.Choice.FinishReason.TOOL_CALLS, choice.finishReason());
        var calls = choice.message().toolCalls().orElseThrow();
        assertEquals(1, calls.size());
        ChatCompletionMessageFunctionToolCall call = calls.getFirst().asFunction();
        assertTrue(call.id().startsWith("call_"));
        GetWeather arguments = call.function().arguments(GetWeather.class);
        assertNotNull(arguments.city);
    }

    @Test
    void unsupportedSchemaKeywordIsABadRequest() {
        var schema = ResponseFormatJsonSchema.JsonSchema.Schema.builder()
                .putAdditionalProperty("type", JsonValue.from("string"))
                .putAdditionalProperty("pattern", JsonValue.from("^a+$"))
                .build();
        var error = assertThrows(BadRequestException.class, () -> client().chat().completions().create(chat()
                .responseFormat(ResponseFormatJsonSchema.builder().jsonSchema(ResponseFormatJsonSchema.JsonSchema
                        .builder().name("letters").schema(schema).build()).build())
                .build()));
        assertFalse(error.getMessage().isEmpty());
        assertTrue(error.getMessage().contains("pattern"), error.getMessage());
    }
}
