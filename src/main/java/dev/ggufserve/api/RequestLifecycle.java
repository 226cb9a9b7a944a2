package dev.ggufserve.api;

import dev.ggufserve.serving.GenerationHandle;
import io.vertx.ext.web.RoutingContext;

/**
 * What one API request's end depends on: whether its client left (which cancels its generation) and
 * whether its generation failed after a 200 stream had started (counted as an error, not a success).
 * Written from the event loop and the replica's worker thread, hence volatile.
 */
final class RequestLifecycle {

    private static final String KEY = RequestLifecycle.class.getName();

    private volatile boolean clientLeft;
    private volatile GenerationHandle generation;
    private volatile boolean generationFailed;

    /** Creates the lifecycle of a request that has just arrived. */
    static RequestLifecycle attachTo(RoutingContext context) {
        var lifecycle = new RequestLifecycle();
        context.put(KEY, lifecycle);
        return lifecycle;
    }

    static RequestLifecycle of(RoutingContext context) {
        return context.get(KEY);
    }

    /** The connection closed before the response ended. */
    void clientLeft() {
        clientLeft = true;
        GenerationHandle current = generation;
        if (current != null) {
            current.cancel();
        }
    }

    /**
     * Cancels {@code handle} as soon as the client leaves, or right away if it already has. Both sides
     * write their volatile field before reading the other's, so one of them always sees the other.
     */
    void cancelWhenClientLeaves(GenerationHandle handle) {
        generation = handle;
        if (clientLeft) {
            handle.cancel();
        }
    }

    void generationFailed() {
        generationFailed = true;
    }

    boolean hasGenerationFailed() {
        return generationFailed;
    }
}
