package dev.ggufserve.api;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

import java.time.Duration;

/**
 * Server-sent events in OpenAI's framing: {@code data: <json>\n\n} per event and {@code data: [DONE]\n\n}
 * at the end.
 *
 * <p>{@link #open} writes the head as soon as the request is queued, so a request refused before that
 * still gets a plain JSON error with its status. From then on a periodic timer writes an SSE comment
 * ({@code : keep-alive}) whenever nothing else was written since its last tick, so proxies and clients
 * keep a stream open while it waits for a replica or its prompt is read. The timer stops when the
 * response ends or the connection closes.
 *
 * <p>Events come from the replica's worker thread and keep-alives from the event loop; every write is
 * synchronized so the head goes out once and events never interleave.
 */
final class SseStream {

    static final String KEEP_ALIVE = ": keep-alive\n\n";

    private final RoutingContext context;
    private final HttpServerResponse response;
    private final ApiJson json;
    /** Whether anything was written since the keep-alive timer last looked. */
    private boolean writtenSinceLastTick;

    SseStream(RoutingContext context, ApiJson json) {
        this.context = context;
        this.response = context.response();
        this.json = json;
    }

    /** Writes the 200 head and starts the keep-alive timer, which stops when the response ends or closes. */
    synchronized void open(Duration keepAliveInterval) {
        // The generation may already have written (or even ended) the stream on its worker thread.
        if (!isOpen()) {
            return;
        }
        writeHeadOnce();
        Vertx vertx = context.vertx();
        long timerId = vertx.setPeriodic(keepAliveInterval.toMillis(), id -> keepAlive());
        context.addEndHandler(ended -> vertx.cancelTimer(timerId));
    }

    /** False once the client has gone; writes are then skipped (the generation is being cancelled). */
    boolean isOpen() {
        return !response.closed() && !response.ended();
    }

    synchronized void send(Object event) {
        write("data: " + json.write(event) + "\n\n");
    }

    synchronized void sendDone() {
        write("data: [DONE]\n\n");
        if (isOpen()) {
            response.end();
        }
    }

    /**
     * Reports a failure: as a JSON error reply when the head is not written yet, otherwise as an error
     * event (OpenAI SDKs raise it) that ends the stream.
     */
    synchronized void fail(Throwable failure) {
        RequestLifecycle.of(context).generationFailed();
        if (!response.headWritten()) {
            json.sendError(response, failure);
            return;
        }
        write("data: " + json.write(ErrorResponses.toReply(failure).body()) + "\n\n");
        if (isOpen()) {
            response.end();
        }
    }

    private synchronized void keepAlive() {
        if (!writtenSinceLastTick) {
            write(KEEP_ALIVE);
        }
        writtenSinceLastTick = false;
    }

    private void write(String text) {
        if (!isOpen()) {
            return;
        }
        writeHeadOnce();
        response.write(text);
        writtenSinceLastTick = true;
    }

    private void writeHeadOnce() {
        if (!response.headWritten()) {
            response.setStatusCode(200)
                    .setChunked(true)
                    .putHeader(HttpHeaders.CONTENT_TYPE, "text/event-stream")
                    .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache")
                    .writeHead();
        }
    }
}
