package dev.ggufserve.engine.cuda;

import dev.ggufserve.gguf.GgufFile;
import dev.ggufserve.model.LayerWeights;
import dev.ggufserve.model.ModelConfig;
import dev.ggufserve.model.ModelWeights;
import dev.ggufserve.tensor.WeightMatrix;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import jcuda.driver.CUdeviceptr;

/**
 * The model's tensors uploaded once to the device: matrices as their raw GGUF blocks (quantized stays
 * quantized), norm vectors and LongRoPE factors as floats.
 *
 * @param host             the bound host-side weights the device copies were made from
 * @param ropeFactorsShort LongRoPE's short factors, else Llama 3.1's rope_freqs; null when the model has neither
 * @param ropeFactorsLong  null when the model has no LongRoPE factors
 */
record DeviceWeights(
        ModelWeights host,
        DeviceMatrix tokenEmbedding,
        List<Layer> layers,
        CUdeviceptr outputNorm,
        DeviceMatrix output,
        CUdeviceptr ropeFactorsShort,
        CUdeviceptr ropeFactorsLong) implements AutoCloseable {

    /** One transformer block; qkv and gateUp as in {@link LayerWeights}. */
    record Layer(
            CUdeviceptr attentionNorm,
            List<DeviceMatrix> qkvProjections,
            DeviceMatrix attentionOutput,
            CUdeviceptr feedForwardNorm,
            List<DeviceMatrix> gateUpProjections,
            DeviceMatrix feedForwardDown) {
    }

    /**
     * Uploads the tensors {@link ModelWeights#bind} found and checked, so the names and shapes per architecture
     * live in one place.
     */
    static DeviceWeights upload(CudaDevice device, GgufFile file, ModelConfig config) {
        ModelWeights host = ModelWeights.bind(file, config);
        DeviceMatrix tokenEmbedding = matrix(device, host.tokenEmbedding());
        // Tied embeddings: the output head is the token embedding, uploaded once.
        DeviceMatrix output = host.output() == host.tokenEmbedding()
                ? tokenEmbedding
                : matrix(device, host.output());
        List<Layer> layers = new ArrayList<>();
        for (LayerWeights layer : host.layers()) {
            layers.add(new Layer(
                    device.upload(layer.attentionNorm()),
                    matrices(device, layer.qkvProjections()),
                    matrix(device, layer.attentionOutput()),
                    device.upload(layer.feedForwardNorm()),
                    matrices(device, layer.gateUpProjections()),
                    matrix(device, layer.feedForwardDown())));
        }
        return new DeviceWeights(host, tokenEmbedding, List.copyOf(layers), device.upload(host.outputNorm()), output,
                // Llama 3.1's rope_freqs divide the frequencies as LongRoPE's short factors do, at every context.
                host.ropeFactorsShort() != null ? device.upload(host.ropeFactorsShort())
                        : host.ropeFrequencyFactors() != null ? device.upload(host.ropeFrequencyFactors()) : null,
                host.ropeFactorsLong() == null ? null : device.upload(host.ropeFactorsLong()));
    }

    /** The LongRoPE factors {@link ModelWeights#ropeFactorsFor} picks for {@code capacity} positions; may be null. */
    CUdeviceptr ropeFactorsFor(ModelConfig config, int capacity) {
        float[] chosen = host.ropeFactorsFor(config, capacity);
        if (chosen == null) {
            return null;
        }
        return chosen == host.ropeFactorsLong() ? ropeFactorsLong : ropeFactorsShort;
    }

    @Override
    public void close() {
        // Identity set: a tied output head shares its buffer with the token embedding.
        Set<CUdeviceptr> buffers = Collections.newSetFromMap(new IdentityHashMap<>());
        buffers.add(tokenEmbedding.data());
        buffers.add(output.data());
        buffers.add(outputNorm);
        for (Layer layer : layers) {
            buffers.add(layer.attentionNorm());
            buffers.add(layer.feedForwardNorm());
            buffers.add(layer.attentionOutput().data());
            buffers.add(layer.feedForwardDown().data());
            layer.qkvProjections().forEach(m -> buffers.add(m.data()));
            layer.gateUpProjections().forEach(m -> buffers.add(m.data()));
        }
        if (ropeFactorsShort != null) {
            buffers.add(ropeFactorsShort);
        }
        if (ropeFactorsLong != null) {
            buffers.add(ropeFactorsLong);
        }
        buffers.forEach(CudaDevice::free);
    }

    private static DeviceMatrix matrix(CudaDevice device, WeightMatrix matrix) {
        return new DeviceMatrix(device.upload(matrix.encodedBytes()), matrix.type(), matrix.rows(), matrix.cols());
    }

    private static List<DeviceMatrix> matrices(CudaDevice device, List<WeightMatrix> matrices) {
        return matrices.stream().map(matrix -> matrix(device, matrix)).toList();
    }
}
