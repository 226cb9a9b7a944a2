package dev.ggufserve.chat;

/** Functions that Hugging Face chat templates call. Jinjava needs them as public static methods. */
public final class TemplateFunctions {

    private TemplateFunctions() {
    }

    /** Thrown by {@code raise_exception}: the template rejects the conversation. */
    static final class RaisedByTemplate extends RuntimeException {
        RaisedByTemplate(String message) {
            super(message);
        }
    }

    /** {@code raise_exception(message)}: stops rendering with the template's message. */
    public static String raiseException(String message) {
        throw new RaisedByTemplate(message);
    }
}
