package dev.ggufserve.api;

import dev.ggufserve.metrics.ServingMetrics;
import io.vertx.core.AsyncResult;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * The OpenAI-compatible routes under /v1, on Vert.x Web directly: streams need exact SSE framing and
 * a reliable signal when the client disconnects, which the raw response gives.
 *
 * <p>Every /v1 request passes, in order: lifecycle and metrics bookkeeping, the API key check, the body
 * reader, its endpoint (on a worker thread where it parses and tokenizes), and on any failure the one
 * failure handler that writes OpenAI's error JSON. Health and metrics (/q/...) are not under /v1 and
 * stay open.
 */
@ApplicationScoped
public class OpenAiRoutes {

    /** Prompts are bounded by the context length; a few MB leaves room for verbose JSON. */
    static final long MAX_BODY_BYTES = 8L * 1024 * 1024;

    private final ApiKeyCheck apiKeyCheck;
    private final ApiJson json;
    private final ServingMetrics metrics;
    private final ChatCompletionsEndpoint chatCompletions;
    private final CompletionsEndpoint completions;
    private final ModelsEndpoint models;

    public OpenAiRoutes(ApiKeyCheck apiKeyCheck, ApiJson json, ServingMetrics metrics,
                        ChatCompletionsEndpoint chatCompletions, CompletionsEndpoint completions, ModelsEndpoint models) {
        this.apiKeyCheck = apiKeyCheck;
        this.json = json;
        this.metrics = metrics;
        this.chatCompletions = chatCompletions;
        this.completions = completions;
        this.models = models;
    }

    void register(@Observes Router router) {
        router.route("/v1/*").handler(this::begin);
        router.post("/v1/*").handler(BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES));
        router.post("/v1/chat/completions").blockingHandler(failingOnException(chatCompletions::handle), false);
        router.post("/v1/completions").blockingHandler(failingOnException(completions::handle), false);
        router.get("/v1/models").handler(models::list);
        router.getWithRegex("/v1/models/(?<id>.+)").handler(models::get);
        router.route("/v1/*").handler(context ->
                context.fail(NotFoundException.url(context.request().method().name(), context.request().path())));
        router.route("/v1/*").failureHandler(this::sendFailure);
    }

    /** Runs first for every /v1 request, on the event loop. */
    private void begin(RoutingContext context) {
        RequestLifecycle lifecycle = RequestLifecycle.attachTo(context);
        String endpoint = endpointTag(context.normalizedPath());
        context.addEndHandler(ended -> {
            if (ended.failed()) {
                lifecycle.clientLeft();
            }
            metrics.requestEnded(endpoint, outcome(context, lifecycle, ended));
        });
        try {
            apiKeyCheck.check(context.request().getHeader(HttpHeaders.AUTHORIZATION));
        } catch (AuthenticationException e) {
            context.fail(e);
            return;
        }
        context.next();
    }

    /** The metrics tag: one value per endpoint, and one for every unknown path so the tag stays bounded. */
    private static String endpointTag(String path) {
        if (path.equals("/v1/chat/completions") || path.equals("/v1/completions")) {
            return path;
        }
        if (path.equals("/v1/models") || path.startsWith("/v1/models/")) {
            return "/v1/models";
        }
        return "other";
    }

    private static String outcome(RoutingContext context, RequestLifecycle lifecycle, AsyncResult<Void> ended) {
        int status = context.response().getStatusCode();
        if (ended.failed()) {
            return "cancelled";
        }
        if (lifecycle.hasGenerationFailed() || status >= 500) {
            return "error";
        }
        return switch (status) {
            case 401 -> "unauthorized";
            case 404 -> "not_found";
            case 429 -> "rejected";
            default -> status >= 400 ? "invalid" : "success";
        };
    }

    private void sendFailure(RoutingContext context) {
        Throwable failure = context.failure();
        if (failure == null) {
            // Vert.x failed the request with a bare status, e.g. 413 from the body reader.
            failure = context.statusCode() == 413
                    ? new RequestTooLargeException(MAX_BODY_BYTES)
                    : new IllegalStateException("The request failed with HTTP status " + context.statusCode());
        }
        json.sendError(context.response(), failure);
    }

    /** An endpoint that may throw Jackson's checked exceptions; they go to the failure handler like the rest. */
    @FunctionalInterface
    interface Endpoint {
        void handle(RoutingContext context) throws Exception;
    }

    private static Handler<RoutingContext> failingOnException(Endpoint endpoint) {
        return context -> {
            try {
                endpoint.handle(context);
            } catch (Exception e) {
                context.fail(e);
            }
        };
    }
}
