package dev.ggufserve.serving;

import dev.ggufserve.chat.ChatTemplate;
import dev.ggufserve.config.LlmConfig;
import dev.ggufserve.config.ServingSettings;
import dev.ggufserve.engine.Engine;
import dev.ggufserve.engine.EngineUnavailableException;
import dev.ggufserve.engine.Engines;
import dev.ggufserve.engine.StepExecutor;
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

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Loads the model at start-up and runs generation requests on its replicas.
 *
 * <p>Each replica owns a step executor over a pool of KV pages and serves a batch of up to LLM_MAX_BATCH
 * requests at once ({@link ReplicaBatch}); its worker runs on a dedicated Vert.x worker pool with one thread per
 * replica, so HTTP event-loop threads never wait for the engine. Requests beyond the batches wait in the
 * {@link BatchScheduler}'s bounded queue.
 *
 * <p>Shutdown (SIGTERM) runs in Quarkus's order: first {@link ShutdownDelayInitiatedEvent}, where
 * readiness goes DOWN and new requests are refused with 503; then Quarkus waits up to
 * LLM_SHUTDOWN_GRACE_PERIOD ({@code quarkus.shutdown.timeout}) for the HTTP requests in flight, streams
 * included; then {@link ShutdownEvent}, where whatever still runs is stopped and the model is closed.
 */
@ApplicationScoped
public class ModelService {

    private static final Logger LOG = Logger.getLogger(ModelService.class);
    /** A replica's worker steps for as long as requests keep coming; Vert.x should not report it as blocked. */
    private static final long MAX_GENERATION_MINUTES = 60;
    /** After the grace period, how long replicas get to notice they were stopped (one step each). */
    private static final long STOP_WAIT_MILLIS = 5_000;

    private final LlmConfig config;
    private final ServingMetrics metrics;
    private final Vertx vertx;

    // Set once during start-up, read by request threads afterwards.
    private volatile ServedModel servedModel;
    private volatile boolean ready;
    /** SIGTERM received: new requests are refused while accepted ones finish. */
    private volatile boolean draining;
    /** The grace period is over: every generation stops at its replica's next step. */
    private volatile boolean closing;
    private Path extractedModelFile;
    private GgufFile modelFile;
    private Engine engine;

    private List<StepExecutor> executors;
    private WorkerExecutor replicaWorkers;
    private BatchScheduler scheduler;
    private Tokenizer tokenizer;

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
        executors.forEach(executor -> WarmUp.run(executor, servedModel.tokenizer(), engine.vocabularySize()));
        long warmUpEnd = System.nanoTime();
        ready = true;
        LOG.infof("Warm-up: kernels %.2f s, warm-up steps %.2f s; ready after %s of JVM uptime",
                (kernelsWarm - warmUpStart) / 1e9, (warmUpEnd - kernelsWarm) / 1e9, jvmUptime());
        LOG.infof("Serving model '%s' (%d-token context, %d replica(s) of up to %d requests at once, %s engine)",
                servedModel.id(), servedModel.contextLength(), executors.size(), config.maxBatch(), engine.kind());
    }

    /**
     * Seconds since the JVM started, for the start-up log. Not ProcessHandle's start instant: on Linux it is built
     * from the boot time in whole seconds, so it was up to a second off (0.7 s more than measured from outside).
     */
    private static String jvmUptime() {
        return String.format("%.2f s", ManagementFactory.getRuntimeMXBean().getUptime() / 1e3);
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
        tokenizer = Tokenizers.load(modelFile.metadata(), config.tokenizerPath());
        long tokenizerLoaded = System.nanoTime();
        ChatTemplate chatTemplate = ChatTemplate.forModel(modelFile.metadata(), tokenizer);
        long templateLoaded = System.nanoTime();
        engine = Engines.open(modelFile, config.engine(), ServingSettings.threads(config));
        long engineOpened = System.nanoTime();
        ServingSettings settings = ServingSettings.resolve(config,
                modelFile.metadata().getString("general.name"), file, engine.trainedContextLength());

        int pagePositions = engine.kvPagePositions();
        int pageCount = Math.max(2, (settings.kvCacheTokens() + pagePositions - 1) / pagePositions);
        int maxStepTokens = settings.maxBatch() + settings.prefillChunk();
        // A request may use a replica's whole pool, but no more.
        int contextLength = Math.min(settings.contextLength(), pageCount * pagePositions);
        if (contextLength < settings.contextLength()) {
            LOG.warnf("LLM_KV_CACHE_TOKENS (%d) holds fewer tokens than the context length (%d): requests may hold"
                    + " at most %d tokens", settings.kvCacheTokens(), settings.contextLength(), contextLength);
        }
        executors = new ArrayList<>(settings.replicas());
        List<ReplicaBatch> batches = new ArrayList<>(settings.replicas());
        for (int i = 0; i < settings.replicas(); i++) {
            StepExecutor executor = engine.newStepExecutor(pageCount, maxStepTokens, contextLength);
            executors.add(executor);
            batches.add(new ReplicaBatch(executor, settings.maxBatch(), settings.prefillChunk(),
                    engine.vocabularySize(), metrics));
        }
        replicaWorkers = vertx.createSharedWorkerExecutor("llm-replica", settings.replicas(),
                MAX_GENERATION_MINUTES, TimeUnit.MINUTES);
        scheduler = new BatchScheduler(batches, settings.maxBatch(), settings.maxQueue(),
                command -> replicaWorkers.executeBlocking(() -> {
                    command.run();
                    return null;
                }, false));
        LOG.infof("KV cache per replica: %d pages of %d positions (%s prefix cache)", pageCount,
                executors.getFirst().pagePositions(), executors.getFirst().sharesPages() ? "with" : "no");
        servedModel = new ServedModel(settings.modelId(), Instant.now().getEpochSecond(), tokenizer, chatTemplate,
                contextLength);

        double loadSeconds = (System.nanoTime() - startNanos) / 1e9;
        metrics.modelLoaded(loadSeconds);
        metrics.watchScheduler(scheduler::queueDepth, scheduler::busyReplicas, scheduler::runningSequences);
        metrics.watchKvPages(scheduler::kvPagesUsed, scheduler::kvPagesFree, scheduler::kvPagesOnlyCached);
        LOG.infof("Loaded %s in %.2f s (file %.2f s, tokenizer %.2f s, chat template %.2f s, %s engine %.2f s)", file,
                loadSeconds, (opened - startNanos) / 1e9, (tokenizerLoaded - opened) / 1e9,
                (templateLoaded - tokenizerLoaded) / 1e9, engine.kind(), (engineOpened - templateLoaded) / 1e9);
    }

    /** The served model; only valid once start-up has finished. */
    public ServedModel model() {
        return servedModel;
    }

    /** True once the model is loaded and has run its warm-up steps, until shutdown begins. */
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
     * @throws QueueFullException             when every batch place is taken and the queue is full
     * @throws ContextLengthExceededException when the request could not fit in a replica's KV cache even alone
     * @throws ServerShuttingDownException    once shutdown has begun
     */
    public GenerationHandle submit(GenerationRequest request, GenerationSink sink) {
        if (draining) {
            throw new ServerShuttingDownException();
        }
        var generation = new Generation(request, sink, tokenizer, metrics, config.requestTimeout(), () -> closing);
        scheduler.submit(generation);
        return generation;
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
        Optional.ofNullable(executors).ifPresent(all -> all.forEach(StepExecutor::close));
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
        int running = scheduler.runningSequences();
        int waiting = scheduler.queueDepth();
        if (scheduler.busyReplicas() + waiting == 0) {
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
