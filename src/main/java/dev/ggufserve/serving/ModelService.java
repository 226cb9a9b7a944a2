package dev.ggufserve.serving;

import dev.ggufserve.chat.ChatTemplate;
import dev.ggufserve.config.LlmConfig;
import dev.ggufserve.config.ServingSettings;
import dev.ggufserve.engine.Engine;
import dev.ggufserve.engine.EngineUnavailableException;
import dev.ggufserve.engine.Engines;
import dev.ggufserve.gguf.GgufFile;
import dev.ggufserve.gguf.ModelFileException;
import dev.ggufserve.metrics.ServingMetrics;
import dev.ggufserve.tokenizer.Tokenizer;
import dev.ggufserve.tokenizer.Tokenizers;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.configuration.ConfigurationException;
import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Loads the model at start-up and runs generation requests on its replicas.
 *
 * <p>Each replica owns one KV sequence and runs one request at a time on a dedicated Vert.x worker
 * pool with one thread per replica, so HTTP event-loop threads never wait for the engine. Requests
 * beyond the replicas wait in the {@link ReplicaScheduler}'s bounded queue.
 *
 * <p>Shutdown (SIGTERM) runs in Quarkus's order: first {@link ShutdownDelayInitiatedEvent}, where
 * readiness goes DOWN and new requests are refused with 503; then Quarkus waits up to
 * LLM_SHUTDOWN_GRACE_PERIOD ({@code quarkus.shutdown.timeout}) for the HTTP requests in flight, streams
 * included; then {@link ShutdownEvent}, where whatever still runs is stopped and the model is closed.
 */
@ApplicationScoped
public class ModelService {

    private static final Logger LOG = Logger.getLogger(ModelService.class);
    /** Generations run for minutes on large models; Vert.x should not report them as blocked threads. */
    private static final long MAX_GENERATION_MINUTES = 60;
    /** After the grace period, how long replicas get to notice they were stopped (one token each). */
    private static final long STOP_WAIT_MILLIS = 5_000;

    private final LlmConfig config;
    private final ServingMetrics metrics;
    private final Vertx vertx;

    // Set once during start-up, read by request threads afterwards.
    private volatile ServedModel servedModel;
    private volatile boolean ready;
    /** SIGTERM received: new requests are refused while accepted ones finish. */
    private volatile boolean draining;
    /** The grace period is over: every generation stops before its next token. */
    private volatile boolean closing;
    private Path extractedModelFile;
    private GgufFile modelFile;
    private Engine engine;
    private List<Replica> replicas;
    private WorkerExecutor replicaWorkers;
    private ReplicaScheduler<Replica> scheduler;
    private Generator generator;

    public ModelService(LlmConfig config, ServingMetrics metrics, Vertx vertx) {
        this.config = config;
        this.metrics = metrics;
        this.vertx = vertx;
    }

    void onStart(@Observes StartupEvent event) {
        try {
            ServingSettings.validate(config);
            load();
        } catch (ConfigurationException | ModelFileException | EngineUnavailableException e) {
            // The message names the setting, file or engine and the problem; a stack trace would bury it,
            // so the application exits on its own instead of failing start-up with an exception.
            LOG.error(e.getMessage());
            Quarkus.asyncExit(1);
            return;
        }
        long warmUpStart = System.nanoTime();
        engine.warmUpKernels();
        long kernelsWarm = System.nanoTime();
        WarmUp.run(replicas.getFirst(), servedModel.tokenizer());
        long warmUpEnd = System.nanoTime();
        ready = true;
        LOG.infof("Warm-up: kernels %.2f s, warm-up token %.2f s; ready %s after the process started",
                (kernelsWarm - warmUpStart) / 1e9, (warmUpEnd - kernelsWarm) / 1e9, sinceProcessStart());
        LOG.infof("Serving model '%s' (%d-token context, %d replica(s), %s engine)", servedModel.id(),
                servedModel.contextLength(), replicas.size(), engine.kind());
    }

    /** Seconds since this process started, as the OS reports it (JVM start-up included), for the start-up log. */
    private static String sinceProcessStart() {
        return ProcessHandle.current().info().startInstant()
                .map(start -> String.format("%.2f s", Duration.between(start, Instant.now()).toMillis() / 1e3))
                .orElse("(unknown)");
    }

    private void load() {
        long startNanos = System.nanoTime();
        Path file = config.modelPath().orElseGet(() -> {
            extractedModelFile = BundledModel.extract();
            LOG.infof("LLM_MODEL_PATH is not set: serving the bundled demo model (%s)", BundledModel.RESOURCE);
            return extractedModelFile;
        });
        modelFile = GgufFile.open(file);
        long opened = System.nanoTime();
        Tokenizer tokenizer = Tokenizers.load(modelFile.metadata(), config.tokenizerPath());
        long tokenizerLoaded = System.nanoTime();
        ChatTemplate chatTemplate = ChatTemplate.forModel(modelFile.metadata(), tokenizer);
        long templateLoaded = System.nanoTime();
        engine = Engines.open(modelFile, config.engine(), ServingSettings.threads(config));
        long engineOpened = System.nanoTime();
        ServingSettings settings = ServingSettings.resolve(config,
                modelFile.metadata().getString("general.name"), file, engine.trainedContextLength());

        replicas = new ArrayList<>(settings.replicas());
        for (int i = 0; i < settings.replicas(); i++) {
            replicas.add(new Replica(engine.newSequence(settings.contextLength())));
        }
        replicaWorkers = vertx.createSharedWorkerExecutor("llm-replica", settings.replicas(),
                MAX_GENERATION_MINUTES, TimeUnit.MINUTES);
        scheduler = new ReplicaScheduler<>(replicas, settings.maxQueue(),
                command -> replicaWorkers.executeBlocking(() -> {
                    command.run();
                    return null;
                }, false));
        generator = new Generator(tokenizer, metrics, config.requestTimeout());
        servedModel = new ServedModel(settings.modelId(), Instant.now().getEpochSecond(), tokenizer, chatTemplate,
                settings.contextLength());

        double loadSeconds = (System.nanoTime() - startNanos) / 1e9;
        metrics.modelLoaded(loadSeconds);
        metrics.watchScheduler(scheduler::queueDepth, scheduler::busyReplicas);
        LOG.infof("Loaded %s in %.2f s (file %.2f s, tokenizer %.2f s, chat template %.2f s, %s engine %.2f s)", file,
                loadSeconds, (opened - startNanos) / 1e9, (tokenizerLoaded - opened) / 1e9,
                (templateLoaded - tokenizerLoaded) / 1e9, engine.kind(), (engineOpened - templateLoaded) / 1e9);
    }

    /** The served model; only valid once start-up has finished. */
    public ServedModel model() {
        return servedModel;
    }

    /** True once the model is loaded and has generated its warm-up token, until shutdown begins. */
    public boolean isReady() {
        return ready && !draining;
    }

    /** True once the model file, tokenizer and engine are open (the warm-up may still be running). */
    public boolean isLoaded() {
        return servedModel != null;
    }

    /**
     * Queues a generation; {@code sink} hears about it on a replica worker thread.
     *
     * @throws QueueFullException          when every replica is busy and the queue is full
     * @throws ServerShuttingDownException once shutdown has begun
     */
    public GenerationHandle submit(GenerationRequest request, GenerationSink sink) {
        if (draining) {
            throw new ServerShuttingDownException();
        }
        var task = new GenerationTask(request, sink, generator, () -> closing);
        scheduler.submit(task);
        return task;
    }

    /** The first step of shutdown: readiness goes DOWN and new requests are refused; accepted ones go on. */
    void onShutdownStarted(@Observes ShutdownDelayInitiatedEvent event) {
        draining = true;
        LOG.info("Shutting down: readiness is DOWN and new requests are refused; accepted requests may finish");
    }

    void onStop(@Observes ShutdownEvent event) {
        draining = true;
        ready = false;
        stopGenerations();
        Optional.ofNullable(replicaWorkers).ifPresent(WorkerExecutor::close);
        Optional.ofNullable(replicas).ifPresent(all -> all.forEach(Replica::close));
        Optional.ofNullable(engine).ifPresent(Engine::close);
        Optional.ofNullable(modelFile).ifPresent(GgufFile::close);
        Optional.ofNullable(extractedModelFile).ifPresent(BundledModel::delete);
    }

    /**
     * Stops what is still generating after the grace period and waits (briefly) until every replica is
     * idle, so no replica reads the model file after it is unmapped.
     */
    private void stopGenerations() {
        if (scheduler == null) {
            return;
        }
        int running = scheduler.busyReplicas();
        int waiting = scheduler.queueDepth();
        if (running + waiting == 0) {
            return;
        }
        LOG.warnf("The shutdown grace period of %d s is over: stopping %d running and %d waiting request(s)",
                config.shutdownGracePeriod().toSeconds(), running, waiting);
        closing = true;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STOP_WAIT_MILLIS);
        while (scheduler.busyReplicas() > 0 && System.nanoTime() - deadline < 0) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
