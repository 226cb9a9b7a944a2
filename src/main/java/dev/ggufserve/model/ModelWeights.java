package dev.ggufserve.model;

import dev.ggufserve.gguf.GgufFile;
import dev.ggufserve.gguf.GgufTensor;
import dev.ggufserve.gguf.ModelFileException;
import dev.ggufserve.tensor.Tensors;
import dev.ggufserve.tensor.WeightMatrix;
import java.util.ArrayList;
import java.util.List;

/**
 * Every tensor the forward pass needs, bound by its GGUF name and checked against the config's shape.
 * Matrices stay in the memory-mapped file; only the small norm vectors are read onto the heap.
 *
 * @param ropeFactorsShort LongRoPE frequency divisors for contexts up to the original training context,
 *                         or null when the file has none
 * @param ropeFactorsLong  LongRoPE frequency divisors for longer contexts, or null
 * @param ropeFrequencyFactors Llama 3.1+'s {@code rope_freqs.weight}: a divisor of each rotary pair's frequency at
 *                         every context length, or null
 */
public record ModelWeights(
        WeightMatrix tokenEmbedding,
        List<LayerWeights> layers,
        float[] outputNorm,
        WeightMatrix output,
        float[] ropeFactorsShort,
        float[] ropeFactorsLong,
        float[] ropeFrequencyFactors) {

    /**
     * The divisors of the rotary frequencies for a sequence of {@code contextLength} positions: LongRoPE's long
     * factors when it exceeds the original training context (as llama.cpp chooses), else its short ones, else
     * Llama 3.1's rope_freqs; null when the model has none.
     */
    public float[] ropeFactorsFor(ModelConfig config, int contextLength) {
        if (ropeFactorsShort == null && ropeFactorsLong == null) {
            return ropeFrequencyFactors;
        }
        boolean useLong = config.ropeOriginalContext() > 0 && contextLength > config.ropeOriginalContext();
        return useLong && ropeFactorsLong != null ? ropeFactorsLong : ropeFactorsShort;
    }

    public static ModelWeights bind(GgufFile file, ModelConfig config) {
        long embd = config.embeddingLength();
        long vocab = config.vocabularySize();
        long kvDim = config.kvDimension();
        long qDim = config.queryDimension();
        long ff = config.feedForwardLength();
        WeightMatrix tokenEmbedding = matrix(file, "token_embd.weight", embd, vocab);
        // Models with tied embeddings (no output.weight) reuse the token embedding as the output head.
        WeightMatrix output = file.tensor("output.weight").isPresent()
                ? matrix(file, "output.weight", embd, vocab)
                : tokenEmbedding;
        boolean qwen3 = config.architecture() == Architecture.QWEN3;
        if (file.tensor("output.bias").isPresent()) {
            throw new ModelFileException(file.path(), "tensor 'output.bias' (a bias on the output head) is not supported");
        }
        List<LayerWeights> layers = new ArrayList<>();
        for (int i = 0; i < config.blockCount(); i++) {
            String b = "blk." + i + ".";
            List<WeightMatrix> qkv;
            List<WeightMatrix> gateUp;
            if (config.architecture() == Architecture.PHI3) {
                qkv = List.of(matrix(file, b + "attn_qkv.weight", embd, qDim + 2 * kvDim));
                gateUp = List.of(matrix(file, b + "ffn_up.weight", embd, 2 * ff));
            } else {
                qkv = List.of(
                        matrix(file, b + "attn_q.weight", embd, qDim),
                        matrix(file, b + "attn_k.weight", embd, kvDim),
                        matrix(file, b + "attn_v.weight", embd, kvDim));
                gateUp = List.of(
                        matrix(file, b + "ffn_gate.weight", embd, ff),
                        matrix(file, b + "ffn_up.weight", embd, ff));
            }
            layers.add(new LayerWeights(
                    vector(file, b + "attn_norm.weight", embd),
                    qkv,
                    matrix(file, b + "attn_output.weight", qDim, embd),
                    vector(file, b + "ffn_norm.weight", embd),
                    gateUp,
                    matrix(file, b + "ffn_down.weight", ff, embd),
                    qkvBias(file, b, config),
                    qwen3 ? vector(file, b + "attn_q_norm.weight", config.headDimension()) : null,
                    qwen3 ? vector(file, b + "attn_k_norm.weight", config.headDimension()) : null));
        }
        int pairs = config.ropeDimension() / 2;
        return new ModelWeights(tokenEmbedding, List.copyOf(layers), vector(file, "output_norm.weight", embd),
                output, optionalVector(file, "rope_factors_short.weight", pairs),
                optionalVector(file, "rope_factors_long.weight", pairs),
                optionalVector(file, "rope_freqs.weight", pairs));
    }

    /**
     * The q | k | v biases of a block (attn_q/k/v.bias, or phi3's fused attn_qkv.bias), zeros for a part without
     * one; null when the block has none. llama.cpp adds them to the projections before the rotary.
     */
    private static float[] qkvBias(GgufFile file, String block, ModelConfig config) {
        int qDim = config.queryDimension();
        int kvDim = config.kvDimension();
        if (config.architecture() == Architecture.PHI3) {
            return optionalVector(file, block + "attn_qkv.bias", qDim + 2L * kvDim);
        }
        float[] q = optionalVector(file, block + "attn_q.bias", qDim);
        float[] k = optionalVector(file, block + "attn_k.bias", kvDim);
        float[] v = optionalVector(file, block + "attn_v.bias", kvDim);
        if (q == null && k == null && v == null) {
            return null;
        }
        float[] bias = new float[qDim + 2 * kvDim];
        if (q != null) {
            System.arraycopy(q, 0, bias, 0, qDim);
        }
        if (k != null) {
            System.arraycopy(k, 0, bias, qDim, kvDim);
        }
        if (v != null) {
            System.arraycopy(v, 0, bias, qDim + kvDim, kvDim);
        }
        return bias;
    }

    private static float[] optionalVector(GgufFile file, String name, long length) {
        return file.tensor(name).isPresent() ? vector(file, name, length) : null;
    }

    private static WeightMatrix matrix(GgufFile file, String name, long cols, long rows) {
        return WeightMatrix.of(file.requireTensor(name, cols, rows));
    }

    private static float[] vector(GgufFile file, String name, long length) {
        GgufTensor tensor = file.requireTensor(name, length);
        return Tensors.toFloatArray(tensor);
    }
}
