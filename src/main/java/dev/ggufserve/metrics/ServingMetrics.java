package dev.ggufserve.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
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
 * {@code llm_queue_depth}, {@code llm_replicas_busy}, {@code llm_model_load_seconds}, and for the batches:
 * {@code llm_step_sequences} and {@code llm_step_tokens} (per step), {@code llm_batch_running},
 * {@code llm_kv_pages_used}, {@code llm_kv_pages_free}, {@code llm_prefix_cache_hit_tokens_total},
 * {@code llm_preemptions_total} and {@code llm_queue_wait_seconds}.
 */
@ApplicationScoped
public class ServingMetrics {

    private final MeterRegistry registry;
    private final Counter promptTokens;
    private final Counter completionTokens;
    private final Timer timeToFirstToken;
    private final Timer timePerOutputToken;
    private final DistributionSummary stepSequences;
    private final DistributionSummary stepTokens;
    private final Counter prefixCacheHitTokens;
    private final Counter preemptions;
    private final Timer queueWait;

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
        this.stepSequences = DistributionSummary.builder("llm.step.sequences")
                .description("Sequences in one batched step (the batch size)")
                .publishPercentileHistogram()
                .register(registry);
        this.stepTokens = DistributionSummary.builder("llm.step.tokens")
                .description("Tokens computed in one batched step (decoded tokens and prompt chunks)")
                .publishPercentileHistogram()
                .register(registry);
        this.prefixCacheHitTokens = Counter.builder("llm.prefix.cache.hit.tokens")
                .description("Prompt tokens whose keys and values came from the prefix cache instead of a prefill")
                .register(registry);
        this.preemptions = Counter.builder("llm.preemptions")
                .description("Sequences preempted (pages freed, recomputed later) because the KV pool ran out")
                .register(registry);
        this.queueWait = Timer.builder("llm.queue.wait")
                .description("From accepting a request to its first admission into a replica's batch")
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

    public void stepRan(int sequences, int tokens) {
        stepSequences.record(sequences);
        stepTokens.record(tokens);
    }

    public void prefixCacheHit(int tokens) {
        prefixCacheHitTokens.increment(tokens);
    }

    public void preempted() {
        preemptions.increment();
    }

    public void queueWaited(Duration wait) {
        queueWait.record(wait);
    }

    /**
     * Gauges of the KV pages over all replicas: read by running sequences; free or only cached; only cached. The
     * last says how much of the pool the prefix cache keeps resident between requests.
     */
    public void watchKvPages(IntSupplier used, IntSupplier free, IntSupplier onlyCached) {
        Gauge.builder("llm.kv.pages.used", used::getAsInt)
                .description("KV cache pages read by running sequences")
                .strongReference(true)
                .register(registry);
        Gauge.builder("llm.kv.pages.free", free::getAsInt)
                .description("KV cache pages free or holding only cached prefixes (reusable at once)")
                .strongReference(true)
                .register(registry);
        Gauge.builder("llm.kv.pages.cached", onlyCached::getAsInt)
                .description("KV cache pages kept only by the prefix cache (no running sequence reads them;"
                        + " counted in llm_kv_pages_free too)")
                .strongReference(true)
                .register(registry);
    }

    public void watchScheduler(IntSupplier queueDepth, IntSupplier busyReplicas, IntSupplier runningSequences) {
        Gauge.builder("llm.batch.running", runningSequences::getAsInt)
                .description("Sequences in the replicas' batches")
                .strongReference(true)
                .register(registry);
        Gauge.builder("llm.queue.depth", queueDepth::getAsInt)
                .description("Requests waiting for a place in a batch")
                .strongReference(true)
                .register(registry);
        Gauge.builder("llm.replicas.busy", busyReplicas::getAsInt)
                .description("Replicas stepping now")
                .strongReference(true)
                .register(registry);
    }
}
