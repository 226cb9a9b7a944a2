package dev.ggufserve.serving;

/** Every replica is busy and the waiting queue holds its maximum; the client should retry later. */
public class QueueFullException extends RuntimeException {

    public QueueFullException(int maxQueue) {
        super("The server is busy: all replicas are generating and " + maxQueue
                + " requests are already waiting. Please retry shortly.");
    }
}
