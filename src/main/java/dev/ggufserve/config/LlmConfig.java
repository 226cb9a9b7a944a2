package dev.ggufserve.config;

import dev.ggufserve.engine.EngineKind;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Every serving knob, read from {@code llm.*} properties or their environment variables
 * ({@code LLM_MODEL_PATH} is {@code llm.model-path}). Defaults that depend on the model (its id, its
 * context length) are resolved at start-up by {@link ServingSettings}.
 */
@ConfigMapping(prefix = "llm")
public interface LlmConfig {

    /** The GGUF file to serve; absent serves the demo model bundled in the application. */
    Optional<Path> modelPath();

    /** The id clients send as {@code model}; absent uses the GGUF's {@code general.name}, else the file name. */
    Optional<String> modelId();

    /** A Hugging Face {@code tokenizer.json} to use instead of the tokenizer stored in the GGUF. */
    Optional<Path> tokenizerPath();

    /** cpu, cuda or auto (the best available). */
    @WithDefault("auto")
    EngineKind engine();

    /** Engine replicas in the process, each serving a batch of up to {@link #maxBatch()} requests at once. */
    @WithDefault("1")
    int replicas();

    /** Requests one replica generates at once, each step running one token of each (continuous batching). */
    @WithDefault("8")
    int maxBatch();

    /**
     * Tokens of KV cache per replica, shared by its batch and its prefix cache; absent uses the context length
     * (the memory one full-length request took before batching).
     */
    OptionalInt kvCacheTokens();

    /** Prompt tokens one step reads at most (over all prompts being read), so decoding requests never stall long. */
    @WithDefault("256")
    int prefillChunk();

    /** Threads the engine uses for one forward pass; absent uses every available processor. */
    OptionalInt threads();

    /** Tokens one request may hold (prompt plus completion); absent uses min(trained context, 4096). */
    OptionalInt contextLength();

    /** Requests that may wait for a place in a batch before new ones are turned away with 429. */
    @WithDefault("64")
    int maxQueue();

    /** When set, every /v1 request must send {@code Authorization: Bearer <key>}. */
    Optional<String> apiKey();

    /**
     * The longest a request may take from being accepted (queue wait included) to its last token; past it
     * the request ends with an error and its replica moves on.
     */
    @WithDefault("PT10M")
    Duration requestTimeout();

    /**
     * A stream that has written nothing for this long gets an SSE comment ({@code : keep-alive}), so proxies
     * and clients do not drop it while it waits in the queue or the prompt is being read.
     */
    @WithDefault("PT10S")
    Duration sseKeepAlive();

    /**
     * On SIGTERM, how long requests already accepted may take to finish before they are cut off. It is
     * Quarkus's {@code quarkus.shutdown.timeout} (set from this in application.properties).
     */
    @WithDefault("PT30S")
    Duration shutdownGracePeriod();
}
