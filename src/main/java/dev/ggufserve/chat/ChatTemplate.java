package dev.ggufserve.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import dev.ggufserve.gguf.GgufMetadata;
import dev.ggufserve.tokenizer.Tokenizer;

import java.time.Clock;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a conversation into the prompt text a model was trained on, by rendering the Jinja chat template
 * stored in the model file ({@code tokenizer.chat_template}) with Jinjava.
 *
 * <p>The template sees {@code messages} (maps with {@code role} and {@code content}),
 * {@code add_generation_prompt}, {@code bos_token}, {@code eos_token} and the function
 * {@code raise_exception(message)} and {@code strftime_now(format)}. Blocks are trimmed as Hugging Face renders templates
 * ({@code trim_blocks} and {@code lstrip_blocks}), so tags on lines of their own leave no newlines behind.
 *
 * <p>Some templates have no system role (Gemma 2's raises "System role not supported"), yet OpenAI clients send
 * system messages, and tool descriptions are added as one. For those, as llama.cpp's server does, system messages are
 * folded into the user message that follows them.
 */
public final class ChatTemplate {

    /** Phi-3's format, used when the model file has no template. */
    static final String DEFAULT_TEMPLATE = """
            {% for message in messages %}{{ '<|' + message['role'] + '|>\\n' + message['content'] + '<|end|>\\n' }}\
            {% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}""";

    /**
     * Jinjava departs from Python's Jinja unless told otherwise; templates written for Hugging Face need
     * {@code {{-}} / {@code -}}} whitespace control on expressions, Python's operator precedence, backslash
     * escapes only inside string literals.
     */
    private static final LegacyOverrides PYTHON_JINJA_BEHAVIOUR = LegacyOverrides.newBuilder()
            .withUseTrimmingForNotesAndExpressions(true)
            .withParseWhitespaceControlStrictly(true)
            .withUseNaturalOperatorPrecedence(true)
            .withHandleBackslashInQuotesOnly(true)
            .build();

    private final String template;
    private final String bosToken;
    private final String eosToken;
    private final Jinjava jinjava;
    private final Clock clock;
    /** Whether the template writes a system message's text (found by rendering one at construction). */
    private final boolean rendersSystemRole;

    ChatTemplate(String template, String bosToken, String eosToken) {
        this(template, bosToken, eosToken, Clock.systemDefaultZone());
    }

    /** With {@code clock} as the time {@code strftime_now} formats. */
    ChatTemplate(String template, String bosToken, String eosToken, Clock clock) {
        // Python's Jinja drops one newline at the very end of a template (keep_trailing_newline=False).
        String trimmed = template.endsWith("\n") ? template.substring(0, template.length() - 1) : template;
        this.template = PythonJinjaCompatibility.adapt(trimmed);
        this.bosToken = bosToken;
        this.eosToken = eosToken;
        this.clock = clock;
        this.jinjava = new Jinjava(JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withLegacyOverrides(PYTHON_JINJA_BEHAVIOUR)
                .withElResolver(PythonJinjaCompatibility.resolver())
                .build());
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition(
                "", "raise_exception", TemplateFunctions.class, "raiseException", String.class));
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition(
                "", "strftime_now", TemplateFunctions.class, "strftimeNow", String.class));
        jinjava.getGlobalContext().registerFilter(new PythonJinjaCompatibility.ToJson());
        jinjava.getGlobalContext().registerFilter(new PythonJinjaCompatibility.Items());
        jinjava.getGlobalContext().registerFilter(new PythonJinjaCompatibility.Trim());
        jinjava.getGlobalContext().registerExpTest(new PythonJinjaCompatibility.IsIterable());
        this.rendersSystemRole = rendersSystemRole();
    }

    private boolean rendersSystemRole() {
        String probe = "gguf-serve system role probe";
        try {
            return renderAsGiven(List.of(new ChatMessage("system", probe), new ChatMessage("user", "hi")), null, false)
                    .contains(probe);
        } catch (ChatTemplateException refused) {
            return false;
        }
    }

    /** The model's template ({@code tokenizer.chat_template}), or Phi-3's format when it has none. */
    public static ChatTemplate forModel(GgufMetadata metadata, Tokenizer tokenizer) {
        String template = metadata.getString("tokenizer.chat_template").orElse(DEFAULT_TEMPLATE);
        return new ChatTemplate(template, tokenizer.bosText(), tokenizer.eosText());
    }

    /**
     * The prompt for {@code messages}; with {@code addGenerationPrompt} it ends where the assistant's reply
     * begins.
     *
     * @throws ChatTemplateException when the template raises an error or cannot be rendered
     */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return render(messages, null, addGenerationPrompt);
    }

    /**
     * The prompt for {@code messages} with {@code tools} offered to the model, as the template's own
     * {@code tools} variable (OpenAI's tool definitions as maps); null offers none.
     */
    public String render(List<ChatMessage> messages, List<Map<String, Object>> tools, boolean addGenerationPrompt) {
        return renderAsGiven(rendersSystemRole ? messages : withSystemInUserMessages(messages), tools,
                addGenerationPrompt);
    }

    /**
     * Each system message's text put before the next user message's, separated by a blank line; system text with no
     * user message after it becomes a user message of its own.
     */
    private static List<ChatMessage> withSystemInUserMessages(List<ChatMessage> messages) {
        List<ChatMessage> folded = new ArrayList<>(messages.size());
        String pendingSystem = null;
        for (ChatMessage message : messages) {
            if (message.role().equals("system")) {
                pendingSystem = pendingSystem == null ? message.content() : pendingSystem + "\n\n" + message.content();
            } else if (pendingSystem != null && message.role().equals("user")) {
                folded.add(new ChatMessage("user", pendingSystem + "\n\n" + message.content()));
                pendingSystem = null;
            } else {
                folded.add(message);
            }
        }
        if (pendingSystem != null) {
            folded.add(new ChatMessage("user", pendingSystem));
        }
        return folded;
    }

    private String renderAsGiven(List<ChatMessage> messages, List<Map<String, Object>> tools,
            boolean addGenerationPrompt) {
        Map<String, Object> variables = new HashMap<>();
        variables.put("messages", messages.stream().map(ChatMessage::templateVariables).toList());
        if (tools != null) {
            variables.put("tools", tools);
        }
        variables.put("add_generation_prompt", addGenerationPrompt);
        variables.put("bos_token", bosToken);
        variables.put("eos_token", eosToken);
        variables.put("strftime_now", new TemplateFunctions.Now(ZonedDateTime.now(clock)));

        RenderResult result = jinjava.renderForResult(template, variables);
        for (TemplateError error : result.getErrors()) {
            if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw new ChatTemplateException(messageOf(error), error.getException());
            }
        }
        return result.getOutput();
    }

    /** The template's text, from which the tool-call format of the model family is recognised. */
    public String source() {
        return template;
    }

    /** The message the template raised, else Jinjava's description of the error. */
    private static String messageOf(TemplateError error) {
        for (Throwable cause = error.getException(); cause != null; cause = cause.getCause()) {
            if (cause instanceof TemplateFunctions.RaisedByTemplate raised) {
                return raised.getMessage();
            }
        }
        return "chat template error: " + error.getMessage();
    }
}
