package dev.ggufserve.model;

import dev.ggufserve.tensor.WeightMatrix;
import java.util.List;

/**
 * The weights of one transformer block.
 *
 * @param qkvProjections matrices whose outputs, concatenated, give q, then k, then v (llama: three
 *                       separate matrices; phi3: one fused {@code attn_qkv})
 * @param gateUpProjections matrices whose outputs, concatenated, give the gate half then the up half
 *                       of the feed-forward input (llama: ffn_gate and ffn_up; phi3: one fused ffn_up)
 * @param qkvBias        added to the q | k | v outputs (Qwen2's {@code attn_q/k/v.bias}, zeros where a part has
 *                       none), or null when the layer has no biases
 * @param queryNorm      Qwen3: RMSNorm weights applied to each query head before the rotary, or null
 * @param keyNorm        Qwen3: the same for each key head, or null
 */
public record LayerWeights(
        float[] attentionNorm,
        List<WeightMatrix> qkvProjections,
        WeightMatrix attentionOutput,
        float[] feedForwardNorm,
        List<WeightMatrix> gateUpProjections,
        WeightMatrix feedForwardDown,
        float[] qkvBias,
        float[] queryNorm,
        float[] keyNorm) {

    /** Whether the q | k | v row needs {@code qkvBias} or the q/k norms after the projection. */
    public boolean adjustsQkv() {
        return qkvBias != null || queryNorm != null;
    }
}
