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
 */
public record LayerWeights(
        float[] attentionNorm,
        List<WeightMatrix> qkvProjections,
        WeightMatrix attentionOutput,
        float[] feedForwardNorm,
        List<WeightMatrix> gateUpProjections,
        WeightMatrix feedForwardDown) {
}
