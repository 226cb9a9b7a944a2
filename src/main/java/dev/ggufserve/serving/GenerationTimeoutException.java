package dev.ggufserve.serving;

import java.time.Duration;

/** A request ran past LLM_REQUEST_TIMEOUT (queue wait included) and was stopped before its next token. */
public class GenerationTimeoutException extends RuntimeException {

    public GenerationTimeoutException(Duration limit) {
        super("The request took longer than the server's limit of " + limit.toSeconds()
                + " seconds and was stopped.");
    }
}
