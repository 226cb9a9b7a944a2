package dev.ggufserve.engine.cpu;

import dev.ggufserve.model.LayerWeights;
import dev.ggufserve.model.ModelConfig;

/**
 * What some architectures do to a token's projected q | k | v row before the rotary embedding: Qwen2 adds the
 * q/k/v biases, Qwen3 applies an RMSNorm (with the model's epsilon) to every query head and every key head, as
 * llama.cpp's qwen2 and qwen3 graphs do.
 */
final class AttentionInputs {

    private AttentionInputs() {
    }

    /** Adjusts the q | k | v row of one token that starts at {@code row}; nothing for layers without either step. */
    static void prepare(float[] qkv, int row, LayerWeights layer, ModelConfig config) {
        float[] bias = layer.qkvBias();
        if (bias != null) {
            for (int i = 0; i < bias.length; i++) {
                qkv[row + i] += bias[i];
            }
        }
        if (layer.queryNorm() != null) {
            int headDim = config.headDimension();
            float epsilon = config.rmsNormEpsilon();
            for (int h = 0; h < config.headCount(); h++) {
                VectorMath.rmsNorm(qkv, qkv, row + h * headDim, headDim, layer.queryNorm(), epsilon);
            }
            int keys = row + config.queryDimension();
            for (int h = 0; h < config.kvHeadCount(); h++) {
                VectorMath.rmsNorm(qkv, qkv, keys + h * headDim, headDim, layer.keyNorm(), epsilon);
            }
        }
    }
}
