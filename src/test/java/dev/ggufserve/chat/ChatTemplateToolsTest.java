package dev.ggufserve.chat;

import dev.ggufserve.tools.ToolCallFormat;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The chat templates of tool-capable model families (fixtures from llama.cpp's test data) render offered tools,
 * an assistant's tool calls and tool results; each is recognised as its family's tool-call format.
 */
class ChatTemplateToolsTest {

    static final List<Map<String, Object>> TOOLS = List.of(Map.of("type", "function", "function", Map.of(
            "name", "get_weather", "description", "The weather in a city",
            "parameters", Map.of("type", "object", "properties", Map.of("city", Map.of("type", "string")),
                    "required", List.of("city")))));
    /** Nine alphanumerics: the only id form Mistral's template accepts. */
    static final String CALL_ID = "abcDEF123";

    static String template(String name) throws IOException {
        try (InputStream in = ChatTemplateToolsTest.class.getResourceAsStream("/fixtures/chat-templates/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @ParameterizedTest
    @CsvSource({
            "Qwen-Qwen2.5-7B-Instruct.jinja, hermes",
            "Qwen-Qwen3-0.6B.jinja, hermes",
            "NousResearch-Hermes-3-Llama-3.1-8B-tool_use.jinja, hermes",
            "meta-llama-Llama-3.1-8B-Instruct.jinja, llama3",
            "meta-llama-Llama-3.2-3B-Instruct.jinja, llama3",
            "mistralai-Mistral-Nemo-Instruct-2407.jinja, mistral",
            "ibm-granite-granite-3.3-2B-Instruct.jinja, granite",
            "HuggingFaceTB-SmolLM3-3B.jinja, generic",
            "microsoft-Phi-3.5-mini-instruct.jinja, generic",
            "google-gemma-2-2b-it.jinja, generic"})
    void eachTemplateIsRecognisedAsItsFamily(String file, String family) throws IOException {
        assertEquals(family, ToolCallFormat.of(template(file)).family());
    }

    /**
     * Templates that Jinjava renders as Python's Jinja does. Llama 3.x and Mistral Nemo test
     * {@code not x is none} / {@code not x is defined}, Qwen3 builds a {@code namespace(...)} with named arguments,
     * Hermes 3, Granite and SmolLM3 call Python methods; those
     * need the chat template's Python-compatibility work before they can be listed here.
     */
    @ParameterizedTest
    @CsvSource({
            "Qwen-Qwen2.5-7B-Instruct.jinja",
            "microsoft-Phi-3.5-mini-instruct.jinja"})
    void toolConversationsRenderInTheFamilysFormat(String file) throws IOException {
        String source = template(file);
        ToolCallFormat format = ToolCallFormat.of(source);

        var arguments = Map.<String, Object>of("city", "Paris");
        List<ChatMessage> conversation = List.of(
                new ChatMessage("user", "What is the weather in Paris?"),
                format.templateRendersCalls()
                        ? new ChatMessage("assistant", null, List.of(Map.of("id", CALL_ID, "type", "function",
                                "function", Map.of("name", "get_weather", "arguments", arguments))), null)
                        : new ChatMessage("assistant", format.listPrefix()
                                + format.callText("get_weather", "{\"city\": \"Paris\"}") + format.listSuffix()),
                format.templateRendersResults()
                        ? new ChatMessage("tool", "{\"celsius\": 21}", List.of(), CALL_ID)
                        : new ChatMessage("user", "<tool_response>\n{\"celsius\": 21}\n</tool_response>"));
        String rendered = new ChatTemplate(source, "<s>", "</s>")
                .render(conversation, format.templateRendersTools() ? TOOLS : null, true);

        if (format.templateRendersTools()) {
            assertTrue(rendered.contains("The weather in a city"), rendered);
        }
        // The earlier call appears exactly as the format writes calls, so the model sees its own layout.
        assertTrue(rendered.contains(format.trigger() + "get_weather" + format.nameToArguments()), rendered);
        assertTrue(rendered.contains("Paris"), rendered);
        assertTrue(rendered.contains("{\"celsius\": 21}"), rendered);
    }
}
