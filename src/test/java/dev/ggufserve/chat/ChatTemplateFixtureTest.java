package dev.ggufserve.chat;

import dev.ggufserve.gguf.GgufFile;
import dev.ggufserve.gguf.GgufMetadata;
import dev.ggufserve.tokenizer.GgufTokenizer;
import org.junit.jupiter.api.Test;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** ChatTemplate.forModel on the Phi-3 GGUF fixture. */
class ChatTemplateFixtureTest {

    private static final List<ChatMessage> CONVERSATION = List.of(
            new ChatMessage("user", "Hello"),
            new ChatMessage("assistant", "Hi!"),
            new ChatMessage("user", "Bye"));

    @Test
    void usesTheTemplateAndBosTokenOfTheModelFile() throws URISyntaxException {
        GgufMetadata metadata = phi3Metadata();
        ChatTemplate template = ChatTemplate.forModel(metadata, GgufTokenizer.fromMetadata(metadata));
        assertEquals("<s><|user|>\nHello<|end|>\n<|assistant|>\nHi!<|end|>\n<|user|>\nBye<|end|>\n<|assistant|>\n",
                template.render(CONVERSATION, true));
    }

    @Test
    void fallsBackToPhi3FormatWithoutATemplate() throws URISyntaxException {
        Map<String, Object> values = new HashMap<>();
        GgufMetadata phi3 = phi3Metadata();
        phi3.keys().forEach(key -> values.put(key, phi3.get(key).orElseThrow()));
        values.remove("tokenizer.chat_template");
        GgufMetadata withoutTemplate = new GgufMetadata(phi3.file(), values);
        ChatTemplate template = ChatTemplate.forModel(withoutTemplate, GgufTokenizer.fromMetadata(withoutTemplate));
        assertEquals("<|user|>\nHello<|end|>\n<|assistant|>\nHi!<|end|>\n<|user|>\nBye<|end|>\n<|assistant|>\n",
                template.render(CONVERSATION, true));
    }

    private static GgufMetadata phi3Metadata() throws URISyntaxException {
        Path file = Path.of(ChatTemplateFixtureTest.class.getResource("/fixtures/ggml-vocab-phi-3.gguf").toURI());
        try (GgufFile gguf = GgufFile.open(file)) {
            return gguf.metadata();
        }
    }
}
