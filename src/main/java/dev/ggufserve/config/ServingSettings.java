package dev.ggufserve.config;

import io.quarkus.runtime.configuration.ConfigurationException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The serving settings with every default resolved against the loaded model.
 *
 * @param modelId       the id clients send as {@code model} and /v1/models lists
 * @param contextLength tokens one request may hold, prompt and completion together
 * @param replicas      engine replicas, each with its own batch and KV pool
 * @param threads       engine threads per forward pass
 * @param maxQueue      requests that may wait for a place in a batch
 * @param maxBatch      requests one replica generates at once
 * @param kvCacheTokens tokens of KV cache per replica
 * @param prefillChunk  prompt tokens one step reads at most
 */
public record ServingSettings(String modelId, int contextLength, int replicas, int threads, int maxQueue,
                             int maxBatch, int kvCacheTokens, int prefillChunk) {

    /** Llama-style models train for long contexts; a KV cache that large per replica rarely pays off. */
    static final int DEFAULT_CONTEXT_CAP = 4096;

    /**
     * Checks the values that do not depend on the model, so a typo fails before a large file is mapped.
     *
     * @throws ConfigurationException naming every invalid setting with its environment variable
     */
    public static void validate(LlmConfig config) {
        List<String> problems = new ArrayList<>();
        if (config.replicas() < 1) {
            problems.add("LLM_REPLICAS must be at least 1 but is " + config.replicas());
        }
        if (config.maxQueue() < 0) {
            problems.add("LLM_MAX_QUEUE must be 0 or more but is " + config.maxQueue());
        }
        if (config.maxBatch() < 1) {
            problems.add("LLM_MAX_BATCH must be at least 1 but is " + config.maxBatch());
        }
        if (config.prefillChunk() < 1) {
            problems.add("LLM_PREFILL_CHUNK must be at least 1 but is " + config.prefillChunk());
        }
        config.kvCacheTokens().ifPresent(tokens -> {
            if (tokens < 2) {
                problems.add("LLM_KV_CACHE_TOKENS must be at least 2 but is " + tokens);
            }
        });
        config.threads().ifPresent(threads -> {
            if (threads < 1) {
                problems.add("LLM_THREADS must be at least 1 but is " + threads);
            }
        });
        config.contextLength().ifPresent(length -> {
            if (length < 2) {
                problems.add("LLM_CONTEXT_LENGTH must be at least 2 but is " + length);
            }
        });
        config.modelId().ifPresent(id -> {
            if (id.isBlank()) {
                problems.add("LLM_MODEL_ID must not be blank");
            }
        });
        config.apiKey().ifPresent(key -> {
            if (key.isBlank()) {
                problems.add("LLM_API_KEY must not be blank when set");
            }
        });
        if (!config.requestTimeout().isPositive()) {
            problems.add("LLM_REQUEST_TIMEOUT must be positive but is " + config.requestTimeout());
        }
        if (!config.sseKeepAlive().isPositive()) {
            problems.add("LLM_SSE_KEEP_ALIVE must be positive but is " + config.sseKeepAlive());
        }
        if (config.shutdownGracePeriod().isNegative()) {
            problems.add("LLM_SHUTDOWN_GRACE_PERIOD must not be negative but is " + config.shutdownGracePeriod());
        }
        if (!problems.isEmpty()) {
            throw new ConfigurationException("Invalid configuration: " + String.join("; ", problems));
        }
    }

    /**
     * Fills in the defaults that come from the model.
     *
     * @param generalName            the GGUF's {@code general.name}, when it has one
     * @param modelFile              the file served (its name is the id of last resort)
     * @param trainedContextLength   the context the model was trained for
     * @throws ConfigurationException when LLM_CONTEXT_LENGTH exceeds what the model was trained for
     */
    public static ServingSettings resolve(LlmConfig config, Optional<String> generalName, Path modelFile,
                                          int trainedContextLength) {
        String modelId = config.modelId()
                .or(() -> generalName.filter(name -> !name.isBlank()))
                .orElseGet(() -> fileNameWithoutExtension(modelFile));
        int contextLength = config.contextLength().orElse(Math.min(trainedContextLength, DEFAULT_CONTEXT_CAP));
        if (contextLength > trainedContextLength) {
            throw new ConfigurationException("Invalid configuration: LLM_CONTEXT_LENGTH is " + contextLength
                    + " but the model was trained for at most " + trainedContextLength + " tokens");
        }
        int kvCacheTokens = config.kvCacheTokens().orElse(contextLength);
        return new ServingSettings(modelId, contextLength, config.replicas(), threads(config), config.maxQueue(),
                config.maxBatch(), kvCacheTokens, config.prefillChunk());
    }

    /** LLM_THREADS, or every available processor; needed before the engine exists, hence on its own. */
    public static int threads(LlmConfig config) {
        return config.threads().orElse(Runtime.getRuntime().availableProcessors());
    }

    private static String fileNameWithoutExtension(Path file) {
        String name = file.getFileName().toString();
        return name.endsWith(".gguf") ? name.substring(0, name.length() - ".gguf".length()) : name;
    }
}
