package dev.ggufserve.serving;

import dev.ggufserve.engine.StepExecutor;
import dev.ggufserve.metrics.ServingMetrics;
import dev.ggufserve.sampling.SamplingParams;
import dev.ggufserve.tokenizer.Tokenizer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link BatchScheduler} over one replica whose worker loop runs only when the test says so, on the test's
 * thread: requests submitted before {@link #runUntilIdle} all wait, then are served together.
 */
final class SchedulerHarness {

    final MeterRegistry registry = new SimpleMeterRegistry();
    final ServingMetrics metrics = new ServingMetrics(registry);
    final Tokenizer tokenizer;
    final ReplicaBatch replica;
    final BatchScheduler scheduler;
    private final List<Runnable> startedWorkers = new ArrayList<>();
    Duration timeLimit = Duration.ofMinutes(1);

    SchedulerHarness(StepExecutor executor, Tokenizer tokenizer, int vocabularySize, int maxBatch, int maxQueue,
                     int prefillChunk) {
        this.tokenizer = tokenizer;
        this.replica = new ReplicaBatch(executor, maxBatch, prefillChunk, vocabularySize, metrics);
        this.scheduler = new BatchScheduler(List.of(replica), maxBatch, maxQueue, startedWorkers::add);
    }

    static GenerationRequest request(int[] prompt, int maxTokens, SamplingParams sampling, List<String> stops) {
        return new GenerationRequest(prompt, maxTokens, sampling, stops, true, false, 3);
    }

    Generation submit(GenerationRequest request, RecordingSink sink) {
        var generation = new Generation(request, sink, tokenizer, metrics, timeLimit, () -> false);
        scheduler.submit(generation);
        return generation;
    }

    /** Runs the worker loops started so far until the replica is idle. */
    void runUntilIdle() {
        while (!startedWorkers.isEmpty()) {
            startedWorkers.removeFirst().run();
        }
    }

    /** Serves {@code request} on a fresh, otherwise empty replica like this one and returns what it reported. */
    static RecordingSink alone(StepExecutor executor, Tokenizer tokenizer, int vocabularySize,
                               GenerationRequest request) {
        var harness = new SchedulerHarness(executor, tokenizer, vocabularySize, 1, 0, 1024);
        var sink = new RecordingSink();
        harness.submit(request, sink);
        harness.runUntilIdle();
        return sink;
    }

    double counter(String name) {
        return registry.find(name).counter() == null ? 0 : registry.find(name).counter().count();
    }
}
