package dev.ggufserve.engine.cpu;

import dev.ggufserve.engine.Sequence;
import dev.ggufserve.model.Architecture;
import dev.ggufserve.model.LayerWeights;
import dev.ggufserve.model.ModelConfig;
import dev.ggufserve.model.ModelWeights;
import dev.ggufserve.tensor.WeightMatrix;
import java.util.Arrays;
import java.util.List;

/**
 * One sequence on the CPU engine: its KV cache and the scratch buffers of the forward pass, all
 * allocated once so that generating a token allocates nothing per element.
 */
final class CpuSequence implements Sequence {

    private final ModelConfig config;
    private final ModelWeights weights;
    private final ParallelRunner parallel;
    private final int capacity;
    private final KvCache kvCache;
    private final float[] ropeFactors;
    private final float attentionScale;
    private int length;

    // Activations of the token being processed.
    private final float[] residual;        // the residual stream x
    private final float[] normalized;      // x after RMSNorm, input of the projections
    private final float[] qkv;             // q | k | v of this position
    private final float[] attentionOutput; // all heads' weighted values, concatenated
    private final float[] projected;       // output of attn_output / ffn_down before it joins the residual
    private final float[] gateUp;          // gate half | up half of the feed-forward input
    private final float[] hidden;          // silu(gate) * up
    private final float[] logits;
    private final float[] attentionScores; // per head, a row of scores over positions
    private final float[] ropeCos;
    private final float[] ropeSin;

    CpuSequence(ModelConfig config, ModelWeights weights, ParallelRunner parallel, int capacity) {
        this.config = config;
        this.weights = weights;
        this.parallel = parallel;
        this.capacity = capacity;
        this.kvCache = new KvCache(config.blockCount(), capacity, config.kvDimension());
        this.ropeFactors = weights.ropeFactorsFor(config, capacity);
        this.attentionScale = (float) (1.0 / Math.sqrt(config.headDimension()));
        int embd = config.embeddingLength();
        this.residual = new float[embd];
        this.normalized = new float[embd];
        this.qkv = new float[embd + 2 * config.kvDimension()];
        this.attentionOutput = new float[embd];
        this.projected = new float[embd];
        this.gateUp = new float[2 * config.feedForwardLength()];
        this.hidden = new float[config.feedForwardLength()];
        this.logits = new float[config.vocabularySize()];
        this.attentionScores = new float[config.headCount() * capacity];
        this.ropeCos = new float[config.ropeDimension() / 2];
        this.ropeSin = new float[config.ropeDimension() / 2];
    }

    @Override
    public int length() {
        return length;
    }

    @Override
    public int capacity() {
        return capacity;
    }

    @Override
    public float[] append(int[] tokens, LogitsListener everyPosition) {
        if (tokens.length == 0) {
            throw new IllegalArgumentException("no tokens to append");
        }
        if (tokens.length > capacity - length) {
            throw new IllegalArgumentException("cannot append " + tokens.length + " tokens to a sequence holding "
                    + length + " of at most " + capacity);
        }
        for (int token : tokens) {
            if (token < 0 || token >= config.vocabularySize()) {
                throw new IllegalArgumentException("token id " + token + " is outside the vocabulary [0, "
                        + config.vocabularySize() + ")");
            }
        }
        for (int i = 0; i < tokens.length; i++) {
            boolean wantLogits = everyPosition != null || i == tokens.length - 1;
            forward(tokens[i], length, wantLogits);
            length++;
            if (everyPosition != null) {
                everyPosition.accept(i, logits);
            }
        }
        return logits;
    }

    @Override
    public void truncate(int newLength) {
        if (newLength < 0 || newLength > length) {
            throw new IllegalArgumentException("cannot truncate a sequence of " + length + " tokens to " + newLength);
        }
        length = newLength;
    }

    @Override
    public void close() {
        // The KV pages and buffers are plain heap arrays; nothing native to release.
    }

    /** Runs one token at {@code position} through every layer; fills {@link #logits} when asked. */
    private void forward(int token, int position, boolean wantLogits) {
        int embd = config.embeddingLength();
        int kvDim = config.kvDimension();
        weights.tokenEmbedding().dequantizeRow(token, residual, 0);
        computeRotation(position);
        for (int layer = 0; layer < config.blockCount(); layer++) {
            LayerWeights w = weights.layers().get(layer);

            VectorMath.rmsNorm(normalized, residual, w.attentionNorm(), config.rmsNormEpsilon());
            matVecConcatenated(w.qkvProjections(), normalized, qkv);
            rotate(qkv, 0, config.headCount());
            rotate(qkv, embd, config.kvHeadCount());
            kvCache.store(layer, position, qkv, embd, embd + kvDim);
            attend(layer, position);
            matVec(w.attentionOutput(), attentionOutput, projected);
            addInto(residual, projected);

            VectorMath.rmsNorm(normalized, residual, w.feedForwardNorm(), config.rmsNormEpsilon());
            matVecConcatenated(w.gateUpProjections(), normalized, gateUp);
            int ff = config.feedForwardLength();
            for (int i = 0; i < ff; i++) {
                float gate = gateUp[i];
                hidden[i] = gate / (1f + (float) Math.exp(-gate)) * gateUp[ff + i];
            }
            matVec(w.feedForwardDown(), hidden, projected);
            addInto(residual, projected);
        }
        if (wantLogits) {
            VectorMath.rmsNorm(normalized, residual, weights.outputNorm(), config.rmsNormEpsilon());
            matVec(weights.output(), normalized, logits);
        }
    }

    /**
     * The rotary angles of {@code position}: pair i turns by {@code position * base^(-2i/ropeDim)}, divided
     * by the LongRoPE factor of pair i when the model has them, and scaled by LongRoPE's attention factor.
     */
    private void computeRotation(int position) {
        int pairs = config.ropeDimension() / 2;
        float magnitude = config.ropeAttentionFactor();
        for (int i = 0; i < pairs; i++) {
            double frequency = Math.pow(config.ropeFrequencyBase(), -2.0 * i / config.ropeDimension());
            if (ropeFactors != null) {
                frequency /= ropeFactors[i];
            }
            double angle = position * frequency;
            ropeCos[i] = (float) Math.cos(angle) * magnitude;
            ropeSin[i] = (float) Math.sin(angle) * magnitude;
        }
    }

    /**
     * Rotates the first ropeDimension values of each of {@code heads} heads starting at {@code offset}.
     * Llama rotates adjacent pairs (2i, 2i+1); Phi-3 (NEOX style) pairs i with i + ropeDim/2.
     */
    private void rotate(float[] vectors, int offset, int heads) {
        int headDim = config.headDimension();
        int pairs = config.ropeDimension() / 2;
        boolean neox = config.architecture() == Architecture.PHI3;
        for (int h = 0; h < heads; h++) {
            int base = offset + h * headDim;
            for (int i = 0; i < pairs; i++) {
                int first = neox ? base + i : base + 2 * i;
                int second = neox ? base + i + pairs : base + 2 * i + 1;
                float a = vectors[first];
                float b = vectors[second];
                vectors[first] = a * ropeCos[i] - b * ropeSin[i];
                vectors[second] = b * ropeCos[i] + a * ropeSin[i];
            }
        }
    }

    /** Causal attention of this position's query heads over the cached keys and values. */
    private void attend(int layer, int position) {
        int headDim = config.headDimension();
        int headsPerKv = config.headCount() / config.kvHeadCount();
        int window = config.slidingWindow();
        int first = window > 0 ? Math.max(0, position - window + 1) : 0;
        int span = position - first + 1;
        parallel.forRange(config.headCount(), (long) span * headDim * 2, (fromHead, toHead) -> {
            for (int head = fromHead; head < toHead; head++) {
                int queryOffset = head * headDim;
                int kvOffset = (head / headsPerKv) * headDim;
                int scoresOffset = head * capacity;
                float maxScore = Float.NEGATIVE_INFINITY;
                for (int t = first; t <= position; t++) {
                    float score = attentionScale * VectorMath.dot(qkv, queryOffset, kvCache.keyPage(layer, t),
                            kvCache.offsetInPage(t) + kvOffset, headDim);
                    attentionScores[scoresOffset + t] = score;
                    maxScore = Math.max(maxScore, score);
                }
                float sum = 0;
                for (int t = first; t <= position; t++) {
                    float weight = (float) Math.exp(attentionScores[scoresOffset + t] - maxScore);
                    attentionScores[scoresOffset + t] = weight;
                    sum += weight;
                }
                Arrays.fill(attentionOutput, queryOffset, queryOffset + headDim, 0f);
                for (int t = first; t <= position; t++) {
                    VectorMath.addScaled(attentionOutput, queryOffset, kvCache.valuePage(layer, t),
                            kvCache.offsetInPage(t) + kvOffset, attentionScores[scoresOffset + t] / sum, headDim);
                }
            }
        });
    }

    private void matVec(WeightMatrix matrix, float[] input, float[] output) {
        matVecInto(matrix, input, output, 0);
    }

    /** Runs the matrices on the same input, writing their outputs one after another into {@code output}. */
    private void matVecConcatenated(List<WeightMatrix> matrices, float[] input, float[] output) {
        int offset = 0;
        for (WeightMatrix matrix : matrices) {
            matVecInto(matrix, input, output, offset);
            offset += matrix.rows();
        }
    }

    private void matVecInto(WeightMatrix matrix, float[] input, float[] output, int outputOffset) {
        parallel.forRange(matrix.rows(), matrix.cols(),
                (from, to) -> matrix.matVec(input, 0, output, outputOffset, from, to));
    }

    private static void addInto(float[] target, float[] addend) {
        for (int i = 0; i < target.length; i++) {
            target[i] += addend[i];
        }
    }
}
