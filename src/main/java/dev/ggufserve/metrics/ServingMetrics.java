package dev.ggufserve.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.util.function.IntSupplier;

/**
 * The serving meters, exported by Micrometer at /q/metrics. Prometheus names: {@code llm_requests_total},
 * {@code llm_prompt_tokens_total}, {@code llm_completion_tokens_total},
 * {@code llm_time_to_first_token_seconds}, {@code llm_time_per_output_token_seconds},
 * {@code llm_queue_depth}, {@code llm_replicas_busy}, {@code llm_model_load_seconds}.
 */
@ApplicationScoped
public class ServingMetrics {

    private final MeterRegistry registry;
    private final Counter promptTokens;
    private final Counter completionTokens;
    private final Timer timeToFirstToken;
    private final Timer timePerOutputToken;

    public ServingMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.promptTokens = Counter.builder("llm.prompt.tokens")
                .description("Prompt tokens processed")
                .register(registry);
        this.completionTokens = Counter.builder("llm.completion.tokens")
                .description("Tokens generated")
                .register(registry);
        this.timeToFirstToken = Timer.builder("llm.time.to.first.token")
                .description("From accepting a request (queue wait included) to its first generated token")
                .publishPercentileHistogram()
                .register(registry);
        this.timePerOutputToken = Timer.builder("llm.time.per.output.token")
                .description("Between two consecutive generated tokens of one request")
                .publishPercentileHistogram()
                .register(registry);
    }

    /** Counts one finished HTTP request under its endpoint and how it ended. */
    public void requestEnded(String endpoint, String outcome) {
        Counter.builder("llm.requests")
                .description("API requests by endpoint and outcome")
                .tag("endpoint", endpoint)
                .tag("outcome", outcome)
                .register(registry)
                .increment();
    }

    public void promptProcessed(int tokens) {
        promptTokens.increment(tokens);
    }

    public void tokenGenerated(Duration sincePreviousOrAccepted, boolean first) {
        completionTokens.increment();
        (first ? timeToFirstToken : timePerOutputToken).record(sincePreviousOrAccepted);
    }

    public void modelLoaded(double seconds) {
        Gauge.builder("llm.model.load.seconds", () -> seconds)
                .description("Seconds spent opening the model file, tokenizer and engine at start-up")
                .strongReference(true)
                .register(registry);
    }

    public void watchScheduler(IntSupplier queueDepth, IntSupplier busyReplicas) {
        Gauge.builder("llm.queue.depth", queueDepth::getAsInt)
                .description("Requests waiting for a free replica")
                .strongReference(true)
                .register(registry);
        Gauge.builder("llm.replicas.busy", busyReplicas::getAsInt)
                .description("Replicas generating now")
                .strongReference(true)
                .register(registry);
    }
}
