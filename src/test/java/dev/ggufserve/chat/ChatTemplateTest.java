package dev.ggufserve.chat;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ChatTemplateTest {

    /** The template stored in ggml-vocab-phi-3.gguf (its '\n' are real newlines there too). */
    static final String PHI3_GGUF_TEMPLATE = "{{ bos_token }}{% for message in messages %}"
            + "{% if (message['role'] == 'user') %}"
            + "{{'<|user|>' + '\n' + message['content'] + '<|end|>' + '\n' + '<|assistant|>' + '\n'}}"
            + "{% elif (message['role'] == 'assistant') %}{{message['content'] + '<|end|>' + '\n'}}"
            + "{% endif %}{% endfor %}";

    /**
     * Llama 2's template as Hugging Face ships it (one line; split here for reading): slicing, loop.index0,
     * .strip() and raise_exception.
     */
    static final String LLAMA2_TEMPLATE = "{% if messages[0]['role'] == 'system' %}"
            + "{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}"
            + "{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}"
            + "{% for message in loop_messages %}"
            + "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
            + "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}"
            + "{% endif %}"
            + "{% if loop.index0 == 0 and system_message != false %}"
            + "{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}"
            + "{% else %}{% set content = message['content'] %}{% endif %}"
            + "{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}"
            + "{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}"
            + "{% endfor %}";

    /**
     * ChatML with loop.last and the |trim filter, laid out with block tags on lines of their own: trim_blocks
     * and lstrip_blocks remove those lines' indentation and newlines, as in Hugging Face's renderer.
     */
    static final String CHATML_TEMPLATE = """
            {% for message in messages %}
                {{- '<|im_start|>' + message['role'] + '\\n' + message['content'] | trim + '<|im_end|>' }}
                {%- if not loop.last or add_generation_prompt %}{{ '\\n' }}{% endif %}
            {% endfor %}
            {% if add_generation_prompt %}
                {{- '<|im_start|>assistant\\n' -}}
            {% endif %}""";

    private static final List<ChatMessage> CONVERSATION = List.of(
            new ChatMessage("user", "Hello"),
            new ChatMessage("assistant", "Hi! How can I help?"),
            new ChatMessage("user", "Tell me a joke."));

    @Test
    void aTemplateWithoutASystemRoleGetsTheSystemTextInTheNextUserMessage() {
        // Refuses system messages as Gemma 2's template does.
        ChatTemplate template = new ChatTemplate("{% for m in messages %}{% if m.role == 'system' %}"
                + "{{ raise_exception('System role not supported') }}{% endif %}[{{ m.role }}: {{ m.content }}]"
                + "{% endfor %}", "", "");
        List<ChatMessage> conversation = List.of(new ChatMessage("system", "Be terse."),
                new ChatMessage("system", "Use tools."), new ChatMessage("user", "Hi"),
                new ChatMessage("assistant", "Hello"), new ChatMessage("system", "Later."));
        assertEquals("[user: Be terse.\n\nUse tools.\n\nHi][assistant: Hello][user: Later.]",
                template.render(conversation, false));

        ChatTemplate withSystem = new ChatTemplate("{% for m in messages %}[{{ m.role }}: {{ m.content }}]"
                + "{% endfor %}", "", "");
        assertEquals("[system: Be terse.][user: Hi]",
                withSystem.render(List.of(new ChatMessage("system", "Be terse."), new ChatMessage("user", "Hi")),
                        false));
    }

    @Test
    void rendersThePhi3TemplateOfTheGgufFile() {
        ChatTemplate template = new ChatTemplate(PHI3_GGUF_TEMPLATE, "<s>", "<|endoftext|>");
        assertEquals("<s><|user|>\nHello<|end|>\n<|assistant|>\nHi! How can I help?<|end|>\n"
                        + "<|user|>\nTell me a joke.<|end|>\n<|assistant|>\n",
                template.render(CONVERSATION, true));
    }

    @Test
    void rendersThePhi3TemplateOfTokenizerConfigJson() throws IOException {
        ChatTemplate template = new ChatTemplate(phi3ConfigTemplate(), "<s>", "<|endoftext|>");
        List<ChatMessage> withSystem = List.of(
                new ChatMessage("system", "Be brief."),
                new ChatMessage("user", "Hello"));
        assertEquals("<|system|>\nBe brief.<|end|>\n<|user|>\nHello<|end|>\n<|assistant|>\n",
                template.render(withSystem, true));
        assertEquals("<|system|>\nBe brief.<|end|>\n<|user|>\nHello<|end|>\n<|endoftext|>",
                template.render(withSystem, false));
    }

    @Test
    void rendersLlama2WithASystemPrompt() {
        ChatTemplate template = new ChatTemplate(LLAMA2_TEMPLATE, "<s>", "</s>");
        List<ChatMessage> messages = List.of(
                new ChatMessage("system", "Be brief."),
                new ChatMessage("user", "Hello "),
                new ChatMessage("assistant", " Hi! "),
                new ChatMessage("user", "Bye"));
        assertEquals("<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHello [/INST] Hi! </s><s>[INST] Bye [/INST]",
                template.render(messages, true));
    }

    @Test
    void raiseExceptionBecomesAChatTemplateExceptionWithTheTemplatesMessage() {
        ChatTemplate template = new ChatTemplate(LLAMA2_TEMPLATE, "<s>", "</s>");
        List<ChatMessage> twoUsers = List.of(new ChatMessage("user", "a"), new ChatMessage("user", "b"));
        ChatTemplateException error = assertThrows(ChatTemplateException.class,
                () -> template.render(twoUsers, true));
        assertEquals("Conversation roles must alternate user/assistant/user/assistant/...", error.getMessage());
    }

    @Test
    void rendersChatMlWithLoopLastAndTrim() {
        ChatTemplate template = new ChatTemplate(CHATML_TEMPLATE, "", "<|im_end|>");
        List<ChatMessage> messages = List.of(
                new ChatMessage("system", "Be brief.  "),
                new ChatMessage("user", "Hello"));
        assertEquals("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHello<|im_end|>",
                template.render(messages, false));
        assertEquals("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n"
                        + "<|im_start|>assistant\n",
                template.render(messages, true));
    }

    @Test
    void defaultTemplateIsPhi3Format() {
        ChatTemplate template = new ChatTemplate(ChatTemplate.DEFAULT_TEMPLATE, "<s>", "</s>");
        assertEquals("<|system|>\nBe brief.<|end|>\n<|user|>\nHello<|end|>\n<|assistant|>\n",
                template.render(List.of(new ChatMessage("system", "Be brief."), new ChatMessage("user", "Hello")),
                        true));
        assertEquals("<|user|>\nHello<|end|>\n",
                template.render(List.of(new ChatMessage("user", "Hello")), false));
    }

    @Test
    void dropsOneTrailingNewlineOfTheTemplateLikePythonJinja() {
        assertEquals("x\n", new ChatTemplate("x\n\n", "", "").render(CONVERSATION, true));
    }

    @Test
    void brokenTemplateGivesAChatTemplateException() {
        ChatTemplate template = new ChatTemplate("{% for message in messages %}{{ message['content'] }}", "", "");
        ChatTemplateException error = assertThrows(ChatTemplateException.class,
                () -> template.render(CONVERSATION, true));
        assertEquals(true, error.getMessage().startsWith("chat template error: "), error.getMessage());
    }

    private static String phi3ConfigTemplate() throws IOException {
        try (InputStream config = ChatTemplateTest.class.getResourceAsStream(
                "/fixtures/phi3-mini-tokenizer/tokenizer_config.json")) {
            return new ObjectMapper().readTree(config).get("chat_template").asText();
        }
    }
}
