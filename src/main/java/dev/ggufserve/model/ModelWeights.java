package dev.ggufserve.model;

import dev.ggufserve.gguf.GgufFile;
import dev.ggufserve.gguf.GgufTensor;
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
 */
public record ModelWeights(
        WeightMatrix tokenEmbedding,
        List<LayerWeights> layers,
        float[] outputNorm,
        WeightMatrix output,
        float[] ropeFactorsShort,
        float[] ropeFactorsLong) {

    /**
     * The LongRoPE factors for a sequence of {@code contextLength} positions: the long ones when it exceeds
     * the original training context, as llama.cpp chooses; null when the model has none.
     */
    public float[] ropeFactorsFor(ModelConfig config, int contextLength) {
        boolean useLong = config.ropeOriginalContext() > 0 && contextLength > config.ropeOriginalContext();
        return useLong && ropeFactorsLong != null ? ropeFactorsLong : ropeFactorsShort;
    }

    public static ModelWeights bind(GgufFile file, ModelConfig config) {
        long embd = config.embeddingLength();
        long vocab = config.vocabularySize();
        long kvDim = config.kvDimension();
        long ff = config.feedForwardLength();
        WeightMatrix tokenEmbedding = matrix(file, "token_embd.weight", embd, vocab);
        // Models with tied embeddings (no output.weight) reuse the token embedding as the output head.
        WeightMatrix output = file.tensor("output.weight").isPresent()
                ? matrix(file, "output.weight", embd, vocab)
                : tokenEmbedding;
        List<LayerWeights> layers = new ArrayList<>();
        for (int i = 0; i < config.blockCount(); i++) {
            String b = "blk." + i + ".";
            List<WeightMatrix> qkv;
            List<WeightMatrix> gateUp;
            if (config.architecture() == Architecture.PHI3) {
                qkv = List.of(matrix(file, b + "attn_qkv.weight", embd, embd + 2 * kvDim));
                gateUp = List.of(matrix(file, b + "ffn_up.weight", embd, 2 * ff));
            } else {
                qkv = List.of(
                        matrix(file, b + "attn_q.weight", embd, embd),
                        matrix(file, b + "attn_k.weight", embd, kvDim),
                        matrix(file, b + "attn_v.weight", embd, kvDim));
                gateUp = List.of(
                        matrix(file, b + "ffn_gate.weight", embd, ff),
                        matrix(file, b + "ffn_up.weight", embd, ff));
            }
            layers.add(new LayerWeights(
                    vector(file, b + "attn_norm.weight", embd),
                    qkv,
                    matrix(file, b + "attn_output.weight", embd, embd),
                    vector(file, b + "ffn_norm.weight", embd),
                    gateUp,
                    matrix(file, b + "ffn_down.weight", ff, embd)));
        }
        return new ModelWeights(tokenEmbedding, List.copyOf(layers), vector(file, "output_norm.weight", embd),
                output, optionalVector(file, "rope_factors_short.weight", config.ropeDimension() / 2),
                optionalVector(file, "rope_factors_long.weight", config.ropeDimension() / 2));
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
