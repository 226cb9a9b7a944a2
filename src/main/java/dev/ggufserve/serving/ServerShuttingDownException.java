package dev.ggufserve.serving;

/** The server received SIGTERM: it finishes the requests it accepted but takes no new ones. */
public class ServerShuttingDownException extends RuntimeException {

    public ServerShuttingDownException() {
        super("The server is shutting down and accepts no new requests. Please retry on another instance.");
    }
}
