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
import dev.ggufserve.sampling.Sampler;
import dev.ggufserve.sampling.SamplingParams;
import dev.ggufserve.tokenizer.Tokenizer;
import dev.ggufserve.tokenizer.Tokenizers;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.configuration.ConfigurationException;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.nio.file.Path;
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
 */
@ApplicationScoped
public class ModelService {

    private static final Logger LOG = Logger.getLogger(ModelService.class);
    /** Generations run for minutes on large models; Vert.x should not report them as blocked threads. */
    private static final long MAX_GENERATION_MINUTES = 60;

    private final LlmConfig config;
    private final ServingMetrics metrics;
    private final Vertx vertx;

    // Set once during start-up, read by request threads afterwards.
    private volatile ServedModel servedModel;
    private volatile boolean ready;
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
        warmUp();
        ready = true;
        LOG.infof("Serving model '%s' (%d-token context, %d replica(s), %s engine)", servedModel.id(),
                servedModel.contextLength(), replicas.size(), engine.kind());
    }

    private void load() {
        long startNanos = System.nanoTime();
        Path file = config.modelPath().orElseGet(() -> {
            extractedModelFile = BundledModel.extract();
            LOG.infof("LLM_MODEL_PATH is not set: serving the bundled demo model (%s)", BundledModel.RESOURCE);
            return extractedModelFile;
        });
        modelFile = GgufFile.open(file);
        Tokenizer tokenizer = Tokenizers.load(modelFile.metadata(), config.tokenizerPath());
        ChatTemplate chatTemplate = ChatTemplate.forModel(modelFile.metadata(), tokenizer);
        engine = Engines.open(modelFile, config.engine(), ServingSettings.threads(config));
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
        generator = new Generator(tokenizer, metrics);
        servedModel = new ServedModel(settings.modelId(), Instant.now().getEpochSecond(), tokenizer, chatTemplate,
                settings.contextLength());

        double loadSeconds = (System.nanoTime() - startNanos) / 1e9;
        metrics.modelLoaded(loadSeconds);
        metrics.watchScheduler(scheduler::queueDepth, scheduler::busyReplicas);
        LOG.infof("Loaded %s in %.2f s", file, loadSeconds);
    }

    /** Generates one token so that the first client does not pay for class loading and JIT warm-up. */
    private void warmUp() {
        Tokenizer tokenizer = servedModel.tokenizer();
        int[] prompt = tokenizer.encode("Hello", tokenizer.addsBos(), false);
        Replica replica = replicas.getFirst();
        float[] logits = replica.loadPrompt(prompt, null);
        new Sampler(SamplingParams.greedy()).sample(logits, new int[1], 0);
        replica.reset();
    }

    /** The served model; only valid once start-up has finished. */
    public ServedModel model() {
        return servedModel;
    }

    /** True once the model is loaded and has generated its warm-up token. */
    public boolean isReady() {
        return ready;
    }

    /** True once the model file, tokenizer and engine are open (the warm-up may still be running). */
    public boolean isLoaded() {
        return servedModel != null;
    }

    /**
     * Queues a generation; {@code sink} hears about it on a replica worker thread.
     *
     * @throws QueueFullException when every replica is busy and the queue is full
     */
    public GenerationHandle submit(GenerationRequest request, GenerationSink sink) {
        var task = new GenerationTask(request, sink, generator);
        scheduler.submit(task);
        return task;
    }

    void onStop(@Observes ShutdownEvent event) {
        ready = false;
        Optional.ofNullable(replicaWorkers).ifPresent(WorkerExecutor::close);
        Optional.ofNullable(replicas).ifPresent(all -> all.forEach(Replica::close));
        Optional.ofNullable(engine).ifPresent(Engine::close);
        Optional.ofNullable(modelFile).ifPresent(GgufFile::close);
        Optional.ofNullable(extractedModelFile).ifPresent(BundledModel::delete);
    }
}
