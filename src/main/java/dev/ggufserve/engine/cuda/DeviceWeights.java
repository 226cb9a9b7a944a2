package dev.ggufserve.engine.cuda;

import dev.ggufserve.gguf.GgufFile;
import dev.ggufserve.gguf.GgufTensor;
import dev.ggufserve.model.Architecture;
import dev.ggufserve.model.ModelConfig;
import dev.ggufserve.model.ModelWeights;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.Collections;
import jcuda.driver.CUdeviceptr;

/**
 * The model's tensors uploaded once to the device: matrices as their raw GGUF blocks (quantized stays
 * quantized), norm vectors and LongRoPE factors as floats. Tensor names and shapes are those of
 * {@link ModelWeights#bind}, which checks them first.
 *
 * @param ropeFactorsShort null when the model has no LongRoPE factors, as {@code ropeFactorsLong}
 */
record DeviceWeights(
        DeviceMatrix tokenEmbedding,
        List<Layer> layers,
        CUdeviceptr outputNorm,
        DeviceMatrix output,
        CUdeviceptr ropeFactorsShort,
        CUdeviceptr ropeFactorsLong) implements AutoCloseable {

    /** One transformer block; qkv and gateUp as in {@link dev.ggufserve.model.LayerWeights}. */
    record Layer(
            CUdeviceptr attentionNorm,
            List<DeviceMatrix> qkvProjections,
            DeviceMatrix attentionOutput,
            CUdeviceptr feedForwardNorm,
            List<DeviceMatrix> gateUpProjections,
            DeviceMatrix feedForwardDown) {
    }

    static DeviceWeights upload(CudaDevice device, GgufFile file, ModelConfig config) {
        ModelWeights host = ModelWeights.bind(file, config);
        DeviceMatrix tokenEmbedding = matrix(device, file, "token_embd.weight");
        // Tied embeddings: the output head is the token embedding, uploaded once.
        DeviceMatrix output = file.tensor("output.weight").isPresent()
                ? matrix(device, file, "output.weight")
                : tokenEmbedding;
        List<Layer> layers = new ArrayList<>();
        for (int i = 0; i < config.blockCount(); i++) {
            String b = "blk." + i + ".";
            List<DeviceMatrix> qkv;
            List<DeviceMatrix> gateUp;
            if (config.architecture() == Architecture.PHI3) {
                qkv = List.of(matrix(device, file, b + "attn_qkv.weight"));
                gateUp = List.of(matrix(device, file, b + "ffn_up.weight"));
            } else {
                qkv = List.of(matrix(device, file, b + "attn_q.weight"), matrix(device, file, b + "attn_k.weight"),
                        matrix(device, file, b + "attn_v.weight"));
                gateUp = List.of(matrix(device, file, b + "ffn_gate.weight"),
                        matrix(device, file, b + "ffn_up.weight"));
            }
            layers.add(new Layer(
                    device.upload(host.layers().get(i).attentionNorm()),
                    qkv,
                    matrix(device, file, b + "attn_output.weight"),
                    device.upload(host.layers().get(i).feedForwardNorm()),
                    gateUp,
                    matrix(device, file, b + "ffn_down.weight")));
        }
        return new DeviceWeights(tokenEmbedding, List.copyOf(layers), device.upload(host.outputNorm()), output,
                host.ropeFactorsShort() == null ? null : device.upload(host.ropeFactorsShort()),
                host.ropeFactorsLong() == null ? null : device.upload(host.ropeFactorsLong()));
    }

    /** The LongRoPE factors for a sequence of {@code capacity} positions, as the CPU engine picks them; may be null. */
    CUdeviceptr ropeFactorsFor(ModelConfig config, int capacity) {
        boolean useLong = config.ropeOriginalContext() > 0 && capacity > config.ropeOriginalContext();
        return useLong && ropeFactorsLong != null ? ropeFactorsLong : ropeFactorsShort;
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

    private static DeviceMatrix matrix(CudaDevice device, GgufFile file, String name) {
        GgufTensor tensor = file.requireTensor(name);
        long[] dims = tensor.dims();
        return new DeviceMatrix(device.upload(tensor.data()), tensor.type(), Math.toIntExact(dims[1]),
                Math.toIntExact(dims[0]));
    }
}
