package dev.ggufserve.grammar;

/** A JSON schema the compiler cannot honour exactly: an unsupported keyword, a bad value, or one too large. */
public final class SchemaException extends RuntimeException {

    private final boolean tooLarge;

    SchemaException(String message) {
        this(message, false);
    }

    SchemaException(String message, boolean tooLarge) {
        super(message);
        this.tooLarge = tooLarge;
    }

    /** True when the schema is refused for its size rather than its content. */
    public boolean tooLarge() {
        return tooLarge;
    }
}
