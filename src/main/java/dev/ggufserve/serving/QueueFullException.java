package dev.ggufserve.serving;

/** Every batch place is taken and the waiting queue holds its maximum; the client should retry later. */
public class QueueFullException extends RuntimeException {

    public QueueFullException(int batchPlaces, int maxQueue) {
        super("The server is busy: " + batchPlaces + " requests are generating and " + maxQueue
                + " requests are already waiting. Please retry shortly.");
    }
}
