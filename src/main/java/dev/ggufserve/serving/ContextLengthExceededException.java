package dev.ggufserve.serving;

/** A generation needs more tokens than a replica's KV cache holds, so it could never run, even alone. */
public class ContextLengthExceededException extends RuntimeException {

    public ContextLengthExceededException(int requestedTokens, int capacityTokens) {
        super("This model's maximum context length is " + capacityTokens + " tokens. However, you requested "
                + requestedTokens + " tokens (prompt and completion). Please reduce the length of the prompt or"
                + " the completion.");
    }
}
