package dev.ggufserve.engine.cpu;

import dev.ggufserve.engine.Engine;
import dev.ggufserve.engine.Sequence;
import dev.ggufserve.engine.StepExecutor;
import dev.ggufserve.gguf.GgufFile;
import dev.ggufserve.model.LayerWeights;
import dev.ggufserve.model.ModelConfig;
import dev.ggufserve.model.ModelWeights;
import dev.ggufserve.tensor.KernelWarmUp;
import dev.ggufserve.tensor.WeightMatrix;
import java.util.ArrayList;
import java.util.List;

/**
 * The CPU engine: the forward pass in Java over the memory-mapped weights, with matrix-vector products
 * and attention heads split across {@code threads} threads.
 */
public final class CpuEngine implements Engine {

    private final ModelConfig config;
    private final ModelWeights weights;
    private final ParallelRunner parallel;

    private CpuEngine(ModelConfig config, ModelWeights weights, int threads) {
        this.config = config;
        this.weights = weights;
        this.parallel = new ParallelRunner(threads);
    }

    /** Binds the model's tensors (shapes checked; nothing copied but the norm vectors). */
    public static CpuEngine load(GgufFile file, int threads) {
        ModelConfig config = ModelConfig.read(file);
        return new CpuEngine(config, ModelWeights.bind(file, config), threads);
    }

    public ModelConfig config() {
        return config;
    }

    @Override
    public String kind() {
        return "cpu";
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
        return new CpuSequence(config, weights, parallel, capacity);
    }

    @Override
    public int kvPagePositions() {
        return KvCache.PAGE_POSITIONS;
    }

    /**
     * A {@link CpuStepExecutor}: one batched forward pass per step over a shared pool of {@code pageCount} pages of
     * {@link KvCache#PAGE_POSITIONS} positions; a sequence reaches at most {@code maxPositions}, which may be neither
     * more than the trained context nor more than the whole pool.
     */
    @Override
    public StepExecutor newStepExecutor(int pageCount, int maxStepTokens, int maxPositions) {
        if (pageCount < 1 || maxStepTokens < 1) {
            throw new IllegalArgumentException("a step executor needs at least one page and one step token, got "
                    + pageCount + " and " + maxStepTokens);
        }
        Engine.checkMaxPositions(config.contextLength(), (long) pageCount * KvCache.PAGE_POSITIONS, maxPositions);
        return new CpuStepExecutor(config, weights, parallel, pageCount, maxStepTokens, maxPositions);
    }

    /** Has the JIT compile the matrix kernels of the model's weight types ({@link KernelWarmUp}). */
    @Override
    public void warmUpKernels() {
        List<WeightMatrix> matrices = new ArrayList<>();
        for (LayerWeights layer : weights.layers()) {
            matrices.addAll(layer.qkvProjections());
            matrices.add(layer.attentionOutput());
            matrices.addAll(layer.gateUpProjections());
            matrices.add(layer.feedForwardDown());
        }
        matrices.add(weights.output());
        KernelWarmUp.run(matrices);
    }

    @Override
    public void close() {
        parallel.close();
    }
}
