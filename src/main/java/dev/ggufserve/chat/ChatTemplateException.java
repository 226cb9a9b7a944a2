package dev.ggufserve.chat;

/**
 * A chat template could not render the conversation: the template raised an error (for example
 * {@code raise_exception('Conversation roles must alternate ...')}) or is itself broken. The message is
 * the template's own.
 */
public class ChatTemplateException extends RuntimeException {

    public ChatTemplateException(String message) {
        super(message);
    }

    public ChatTemplateException(String message, Throwable cause) {
        super(message, cause);
    }
}
