package dev.ggufserve.api;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.NotFoundException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The official OpenAI Java SDK against the running server. */
@QuarkusTest
class OpenAiSdkTest {

    @TestHTTPResource("/v1")
    URL baseUrl;

    private OpenAIClient client() {
        return OpenAIOkHttpClient.builder().baseUrl(baseUrl.toString()).apiKey("not-checked-here").build();
    }

    private static ChatCompletionCreateParams chatParams() {
        return ChatCompletionCreateParams.builder()
                .model("llama")
                .addSystemMessage("You tell short stories.")
                .addUserMessage("Tell me about a dog.")
                .maxCompletionTokens(10)
                .temperature(0.0)
                .build();
    }

    @Test
    void chatCompletion() {
        ChatCompletion completion = client().chat().completions().create(chatParams());

        assertEquals("llama", completion.model());
        assertEquals(1, completion.choices().size());
        ChatCompletion.Choice choice = completion.choices().getFirst();
        assertTrue(choice.message().content().isPresent());
        assertTrue(completion.usage().isPresent());
        assertTrue(completion.usage().get().completionTokens() <= 10);
    }

    @Test
    void streamingChatCompletionCarriesTheSameText() {
        String plain = client().chat().completions().create(chatParams())
                .choices().getFirst().message().content().orElseThrow();

        var text = new StringBuilder();
        List<String> finishReasons = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = client().chat().completions().createStreaming(chatParams())) {
            stream.stream().forEach(chunk -> chunk.choices().forEach(choice -> {
                choice.delta().content().ifPresent(text::append);
                choice.finishReason().ifPresent(reason -> finishReasons.add(reason.asString()));
            }));
        }
        assertEquals(plain, text.toString());
        assertEquals(1, finishReasons.size());
    }

    @Test
    void textCompletion() {
        Completion completion = client().completions().create(CompletionCreateParams.builder()
                .model("llama")
                .prompt("Once upon a time")
                .maxTokens(6)
                .temperature(0.0)
                .build());

        assertFalse(completion.choices().getFirst().text().isEmpty());
        assertEquals("text_completion", completion._object_().toString().replace("\"", ""));
        assertTrue(completion.usage().isPresent());
    }

    @Test
    void anUnknownModelRaisesTheSdksNotFoundError() {
        assertThrows(NotFoundException.class, () -> client().completions().create(CompletionCreateParams.builder()
                .model("gpt-4o").prompt("Hi").build()));
    }
}
