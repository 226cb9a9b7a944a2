package dev.ggufserve.api;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

/**
 * Server-sent events in OpenAI's framing: {@code data: <json>\n\n} per event and {@code data: [DONE]\n\n}
 * at the end. The head is written with the first event, so a request refused before generation still
 * gets a plain JSON error. Used from the replica's worker thread; Vert.x hands writes to the event loop.
 */
final class SseStream {

    private final RoutingContext context;
    private final HttpServerResponse response;
    private final ApiJson json;

    SseStream(RoutingContext context, ApiJson json) {
        this.context = context;
        this.response = context.response();
        this.json = json;
    }

    /** False once the client has gone; writes are then skipped (the generation is being cancelled). */
    boolean isOpen() {
        return !response.closed() && !response.ended();
    }

    boolean hasStarted() {
        return response.headWritten();
    }

    void send(Object event) {
        write("data: " + json.write(event) + "\n\n");
    }

    void sendDone() {
        write("data: [DONE]\n\n");
        if (isOpen()) {
            response.end();
        }
    }

    /**
     * Reports a failure: as a JSON error reply when nothing was streamed yet, otherwise as an error
     * event (OpenAI SDKs raise it) that ends the stream.
     */
    void fail(Throwable failure) {
        RequestLifecycle.of(context).generationFailed();
        if (!hasStarted()) {
            json.sendError(response, failure);
            return;
        }
        write("data: " + json.write(ErrorResponses.toReply(failure).body()) + "\n\n");
        if (isOpen()) {
            response.end();
        }
    }

    private void write(String text) {
        if (!isOpen()) {
            return;
        }
        if (!hasStarted()) {
            response.setStatusCode(200)
                    .setChunked(true)
                    .putHeader(HttpHeaders.CONTENT_TYPE, "text/event-stream")
                    .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache");
        }
        response.write(text);
    }
}
