package dev.ggufserve.serving;

/** Lets the HTTP side stop a request it submitted. */
public interface GenerationHandle {

    /** Stops the generation before its next token, or drops it if it is still waiting. */
    void cancel();
}
