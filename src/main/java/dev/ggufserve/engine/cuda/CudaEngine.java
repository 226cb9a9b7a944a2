package dev.ggufserve.engine.cuda;

import dev.ggufserve.engine.Engine;
import dev.ggufserve.engine.EngineUnavailableException;
import dev.ggufserve.engine.Sequence;
import dev.ggufserve.gguf.GgufFile;
import dev.ggufserve.model.ModelConfig;
import java.util.List;
import java.util.Optional;

/**
 * The CUDA engine: the whole forward pass on the first NVIDIA GPU, with the weights uploaded once in their
 * GGUF encoding and each sequence's KV cache and activations in device memory. Every sequence has its own
 * CUDA stream, so replicas run side by side on the card; the serving layer still drives each sequence from
 * one worker thread at a time.
 */
public final class CudaEngine implements Engine {

    private final CudaDevice device;
    private final Kernels kernels;
    private final ModelConfig config;
    private final DeviceWeights weights;

    private CudaEngine(CudaDevice device, Kernels kernels, ModelConfig config, DeviceWeights weights) {
        this.device = device;
        this.kernels = kernels;
        this.config = config;
        this.weights = weights;
    }

    /**
     * Opens the GPU and uploads the model's weights.
     *
     * @throws EngineUnavailableException "CUDA not available: ..." when no usable GPU or driver is found, or
     *                                    when the model has a shape the kernels do not handle
     */
    public static CudaEngine load(GgufFile file) {
        ModelConfig config = ModelConfig.read(file);
        if (config.headDimension() > Kernels.MAX_HEAD_DIMENSION) {
            throw new EngineUnavailableException("the CUDA engine handles attention heads of at most "
                    + Kernels.MAX_HEAD_DIMENSION + " dimensions, this model's have " + config.headDimension());
        }
        unsupportedFeature(file, config).ifPresent(feature -> {
            throw new EngineUnavailableException("the CUDA engine's kernels do not compute " + feature
                    + " yet; use the CPU engine (LLM_ENGINE=cpu, or auto)");
        });
        CudaDevice device = CudaDevice.open();
        try {
            return new CudaEngine(device, new Kernels(device), config, DeviceWeights.upload(device, file, config));
        } catch (RuntimeException e) {
            device.close();
            throw e;
        }
    }

    /**
     * What this model needs that the kernels lack: q/k/v biases (Qwen2), per-head q/k RMSNorm (Qwen3), or query
     * heads wider than embedding / heads (Qwen3). Every block has the same tensors, so block 0 tells.
     */
    private static Optional<String> unsupportedFeature(GgufFile file, ModelConfig config) {
        for (String bias : List.of("attn_q.bias", "attn_k.bias", "attn_v.bias", "attn_qkv.bias")) {
            if (file.tensor("blk.0." + bias).isPresent()) {
                return Optional.of("attention biases (" + bias + ")");
            }
        }
        if (file.tensor("blk.0.attn_q_norm.weight").isPresent()) {
            return Optional.of("the RMSNorm of each query and key head (attn_q_norm, attn_k_norm)");
        }
        if (config.queryDimension() != config.embeddingLength()) {
            return Optional.of("query heads " + config.queryDimension() + " wide in all for an embedding of "
                    + config.embeddingLength());
        }
        return Optional.empty();
    }

    /** The GPU and driver version, for the start-up log. */
    public String deviceDescription() {
        return device.description();
    }

    public ModelConfig config() {
        return config;
    }

    @Override
    public String kind() {
        return "cuda";
    }

    @Override
    public int vocabularySize() {
        return config.vocabularySize();
    }

    @Override
    public int trainedContextLength() {
        return config.contextLength();
    }

    @Override
    public Sequence newSequence(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("sequence capacity must be at least 1, got " + capacity);
        }
        device.makeCurrent();
        return new CudaSequence(device, kernels, config, weights, capacity);
    }

    @Override
    public void close() {
        device.makeCurrent();
        weights.close();
        device.close();
    }
}
