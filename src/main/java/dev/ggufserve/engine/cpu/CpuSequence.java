package dev.ggufserve.engine.cpu;

import dev.ggufserve.engine.AppendChecks;
import dev.ggufserve.engine.Sequence;
import dev.ggufserve.model.LayerWeights;
import dev.ggufserve.model.ModelConfig;
import dev.ggufserve.model.ModelWeights;
import dev.ggufserve.tensor.WeightMatrix;
import java.util.Arrays;
import java.util.List;

/**
 * One sequence on the CPU engine: its KV cache and the scratch buffers of the forward pass, all allocated once so
 * that generating a token allocates nothing.
 *
 * <p>Tokens go through the layers in tiles of up to {@link #TILE} tokens: every projection of a layer is done for
 * the whole tile at once ({@link WeightMatrix#matMul}, which decodes each weight once per tile), then each token
 * attends over the cache, which already holds the keys and values of the tile's earlier tokens. A tile of one
 * token (decode) uses {@link WeightMatrix#matVec}, which streams each weight once straight from the mapped file.
 * Activation buffers hold one row per token of the tile.
 */
final class CpuSequence implements Sequence {

    /**
     * Prompt tokens processed together: each weight is decoded once per tile, so the decoding (and the reading of the
     * weights from memory) is shared by up to 128 tokens; the tile's packed activations for one column pass of
     * matMul (512 KB) still fit in L2. Longer prompts run as several tiles. Measured against 64 on a 512-token
     * prompt: 3-5% faster.
     */
    static final int TILE = 128;

    private final ModelConfig config;
    private final ModelWeights weights;
    private final ParallelRunner parallel;
    private final int capacity;
    private final int tile;
    private final KvCache kvCache;
    private final float[] ropeFactors;
    private final float attentionScale;
    private final int qkvWidth;
    private final int queryDim;
    private int length;

    // Activations, one row per token of the tile.
    private final float[] residual;        // the residual stream x
    private final float[] normalized;      // x after RMSNorm, input of the projections
    private final float[] qkv;             // q | k | v
    private final float[] attentionOutput; // all heads' weighted values, concatenated
    private final float[] projected;       // output of attn_output / ffn_down before it joins the residual
    private final float[] gateUp;          // gate half | up half of the feed-forward input
    private final float[] hidden;          // silu(gate) * up
    private final float[] logits;
    private final float[] ropeCos;         // per token of the tile, cos of each rotary pair's angle
    private final float[] ropeSin;
    // Per worker thread.
    private final float[][] attentionScores; // a row of scores over positions
    private final float[][] attentionSlices; // one head's keys or values of up to a KV page, as floats
    private final float[][] tileAttentionScratch; // TileAttention's; grown with the positions attended
    private final float[][] matMulScratch;   // packed activations, sums, dequantized weights

    // The projection being run by projectSlice, set by project() before it hands out the rows.
    private List<WeightMatrix> projectionMatrices;
    private float[] projectionInput;
    private int projectionTokens;
    private float[] projectionOutput;
    private final ParallelRunner.RangeTask projectSlice = this::projectSlice;
    // The tile being attended by attendSlice.
    private int attentionLayer;
    private int attentionFirstPosition;
    private final ParallelRunner.RangeTask attendSlice = this::attendSlice;
    private final TileAttention tileAttention;
    private int attentionTokens;
    private final ParallelRunner.RangeTask attendTileSlice = this::attendTileSlice;

    CpuSequence(ModelConfig config, ModelWeights weights, ParallelRunner parallel, int capacity) {
        this.config = config;
        this.weights = weights;
        this.parallel = parallel;
        this.capacity = capacity;
        this.tile = Math.min(TILE, capacity);
        this.kvCache = new KvCache(config.blockCount(), capacity, config.kvDimension());
        this.ropeFactors = weights.ropeFactorsFor(config, capacity);
        this.attentionScale = (float) (1.0 / Math.sqrt(config.headDimension()));
        int embd = config.embeddingLength();
        this.queryDim = config.queryDimension();
        this.qkvWidth = queryDim + 2 * config.kvDimension();
        this.residual = new float[tile * embd];
        this.normalized = new float[tile * embd];
        this.qkv = new float[tile * qkvWidth];
        this.attentionOutput = new float[tile * queryDim];
        this.projected = new float[tile * embd];
        this.gateUp = new float[tile * 2 * config.feedForwardLength()];
        this.hidden = new float[tile * config.feedForwardLength()];
        this.logits = new float[config.vocabularySize()];
        this.ropeCos = new float[tile * config.ropeDimension() / 2];
        this.ropeSin = new float[tile * config.ropeDimension() / 2];
        this.attentionScores = new float[parallel.threads()][capacity];
        this.attentionSlices = new float[parallel.threads()][KvCache.PAGE_POSITIONS * config.headDimension()];
        this.tileAttentionScratch = new float[parallel.threads()][0];
        this.tileAttention = new TileAttention(kvCache, config.headDimension(), config.slidingWindow(),
                attentionScale);
        this.matMulScratch = new float[parallel.threads()][WeightMatrix.matMulScratchSize(tile,
                Math.max(Math.max(embd, queryDim), config.feedForwardLength()))];
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
        AppendChecks.check(tokens, length, capacity, config.vocabularySize());
        for (int start = 0; start < tokens.length; start += tile) {
            int count = Math.min(tile, tokens.length - start);
            forward(tokens, start, count);
            for (int i = 0; i < count; i++) {
                boolean last = start + i == tokens.length - 1;
                if (everyPosition != null || last) {
                    computeLogits(i);
                }
                if (everyPosition != null) {
                    everyPosition.accept(start + i, logits);
                }
            }
            length += count;
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

    /** Runs {@code tokens[from, from + count)}, at positions {@code length ...}, through every layer. */
    private void forward(int[] tokens, int from, int count) {
        int embd = config.embeddingLength();
        int kvDim = config.kvDimension();
        int ff = config.feedForwardLength();
        float epsilon = config.rmsNormEpsilon();
        for (int i = 0; i < count; i++) {
            weights.tokenEmbedding().dequantizeRow(tokens[from + i], residual, i * embd);
            computeRotation(i, length + i);
        }
        for (int layer = 0; layer < config.blockCount(); layer++) {
            LayerWeights w = weights.layers().get(layer);

            for (int i = 0; i < count; i++) {
                VectorMath.rmsNorm(normalized, residual, i * embd, embd, w.attentionNorm(), epsilon);
            }
            project(w.qkvProjections(), normalized, count, qkv);
            for (int i = 0; i < count; i++) {
                int row = i * qkvWidth;
                if (w.adjustsQkv()) {
                    AttentionInputs.prepare(qkv, row, w, config);
                }
                rotate(qkv, row, config.headCount(), i);
                rotate(qkv, row + queryDim, config.kvHeadCount(), i);
                kvCache.store(layer, length + i, qkv, row + queryDim, row + queryDim + kvDim);
            }
            attentionLayer = layer;
            attentionFirstPosition = length;
            attentionTokens = count;
            int heads = config.headCount();
            if (count == 1) {
                parallel.forRange(count * heads, (long) (length + count) * config.headDimension() * 2, attendSlice);
            } else {
                int blocks = (count + TileAttention.QUERIES - 1) / TileAttention.QUERIES;
                parallel.forRange(blocks * heads,
                        (long) (length + count) * config.headDimension() * 2 * TileAttention.QUERIES, attendTileSlice);
            }
            project(List.of(w.attentionOutput()), attentionOutput, count, projected);
            VectorMath.addInto(residual, projected, count * embd);

            for (int i = 0; i < count; i++) {
                VectorMath.rmsNorm(normalized, residual, i * embd, embd, w.feedForwardNorm(), epsilon);
            }
            project(w.gateUpProjections(), normalized, count, gateUp);
            for (int i = 0; i < count; i++) {
                VectorMath.swiGlu(hidden, i * ff, gateUp, i * 2 * ff, ff);
            }
            project(List.of(w.feedForwardDown()), hidden, count, projected);
            VectorMath.addInto(residual, projected, count * embd);
        }
    }

    /** The logits after token {@code i} of the tile just run. */
    private void computeLogits(int i) {
        int embd = config.embeddingLength();
        VectorMath.rmsNorm(normalized, residual, i * embd, embd, weights.outputNorm(), config.rmsNormEpsilon());
        if (i != 0) {
            System.arraycopy(normalized, i * embd, normalized, 0, embd);
        }
        project(List.of(weights.output()), normalized, 1, logits);
    }

    /**
     * {@code output} row t = the rows of {@code matrices}, concatenated, times {@code input} row t, for the first
     * {@code tokens} rows; one parallel region over all the rows of all the matrices.
     */
    private void project(List<WeightMatrix> matrices, float[] input, int tokens, float[] output) {
        projectionMatrices = matrices;
        projectionInput = input;
        projectionTokens = tokens;
        projectionOutput = output;
        int rows = 0;
        for (WeightMatrix matrix : matrices) {
            rows += matrix.rows();
        }
        long costPerRow = (long) matrices.getFirst().cols() * tokens;
        if (tokens == 1) {
            parallel.forRange(rows, costPerRow, projectSlice);
        } else {
            parallel.forSlices(rows, costPerRow, projectSlice);
        }
    }

    /** Rows {@code [from, to)} of the concatenated matrices of the current projection. */
    private void projectSlice(int worker, int from, int to) {
        int inputWidth = projectionMatrices.getFirst().cols();
        int outputWidth = 0;
        for (WeightMatrix matrix : projectionMatrices) {
            outputWidth += matrix.rows();
        }
        int offset = 0;
        for (WeightMatrix matrix : projectionMatrices) {
            int rowFrom = Math.max(from - offset, 0);
            int rowTo = Math.min(to - offset, matrix.rows());
            if (rowFrom < rowTo) {
                if (projectionTokens == 1) {
                    matrix.matVec(projectionInput, 0, projectionOutput, offset, rowFrom, rowTo);
                } else {
                    matrix.matMul(projectionInput, inputWidth, projectionTokens, projectionOutput, offset,
                            outputWidth, rowFrom, rowTo, matMulScratch[worker]);
                }
            }
            offset += matrix.rows();
        }
    }

    /**
     * The rotary angles of {@code position}, for token {@code i} of the tile: pair j turns by
     * {@code position * base^(-2j/ropeDim)}, divided by the LongRoPE factor of pair j when the model has them, and
     * scaled by LongRoPE's attention factor.
     */
    private void computeRotation(int i, int position) {
        int pairs = config.ropeDimension() / 2;
        float magnitude = config.ropeAttentionFactor();
        for (int j = 0; j < pairs; j++) {
            double frequency = Math.pow(config.ropeFrequencyBase(), -2.0 * j / config.ropeDimension());
            if (ropeFactors != null) {
                frequency /= ropeFactors[j];
            }
            double angle = position * frequency;
            ropeCos[i * pairs + j] = (float) Math.cos(angle) * magnitude;
            ropeSin[i * pairs + j] = (float) Math.sin(angle) * magnitude;
        }
    }

    /**
     * Rotates the first ropeDimension values of each of {@code heads} heads starting at {@code offset}, by the angles
     * of token {@code i} of the tile. Llama rotates adjacent pairs (2j, 2j+1); Phi-3 and Qwen (NEOX style) pair j
     * with j + ropeDim/2.
     */
    private void rotate(float[] vectors, int offset, int heads, int i) {
        int headDim = config.headDimension();
        int pairs = config.ropeDimension() / 2;
        boolean neox = config.architecture().neoxRotary();
        for (int h = 0; h < heads; h++) {
            int base = offset + h * headDim;
            for (int j = 0; j < pairs; j++) {
                int first = neox ? base + j : base + 2 * j;
                int second = neox ? base + j + pairs : base + 2 * j + 1;
                float a = vectors[first];
                float b = vectors[second];
                float cos = ropeCos[i * pairs + j];
                float sin = ropeSin[i * pairs + j];
                vectors[first] = a * cos - b * sin;
                vectors[second] = b * cos + a * sin;
            }
        }
    }

    /**
     * Causal attention of a tile of several tokens for items {@code [from, to)}: item = block * heads + head, where
     * block b holds the tile's tokens {@code [b * TileAttention.QUERIES, (b + 1) * TileAttention.QUERIES)}.
     */
    private void attendTileSlice(int worker, int from, int to) {
        int headDim = config.headDimension();
        int heads = config.headCount();
        int headsPerKv = heads / config.kvHeadCount();
        int needed = tileAttention.scratchSize(attentionFirstPosition + attentionTokens);
        if (tileAttentionScratch[worker].length < needed) {
            // grown in steps of 512 positions, so a long prompt reallocates only every few tiles
            int positions = (attentionFirstPosition + attentionTokens + 511) / 512 * 512;
            tileAttentionScratch[worker] = new float[tileAttention.scratchSize(positions)];
        }
        for (int item = from; item < to; item++) {
            int block = item / heads;
            int head = item % heads;
            int firstQuery = block * TileAttention.QUERIES;
            int queries = Math.min(TileAttention.QUERIES, attentionTokens - firstQuery);
            tileAttention.attend(attentionLayer, qkv, qkvWidth, head * headDim, (head / headsPerKv) * headDim,
                    firstQuery, queries, attentionFirstPosition, attentionOutput, queryDim,
                    head * headDim, tileAttentionScratch[worker]);
        }
    }

    /**
     * Causal attention for items {@code [from, to)} of the tile: item = token * heads + head. Token i of the tile is
     * at position {@code attentionFirstPosition + i} and sees the cached positions up to its own.
     */
    private void attendSlice(int worker, int from, int to) {
        int headDim = config.headDimension();
        int heads = config.headCount();
        int headsPerKv = heads / config.kvHeadCount();
        int window = config.slidingWindow();
        float[] scores = attentionScores[worker];
        int layer = attentionLayer;
        for (int item = from; item < to; item++) {
            int i = item / heads;
            int head = item % heads;
            int position = attentionFirstPosition + i;
            int first = window > 0 ? Math.max(0, position - window + 1) : 0;
            int queryOffset = i * qkvWidth + head * headDim;
            int outputOffset = i * queryDim + head * headDim;
            int kvOffset = (head / headsPerKv) * headDim;
            float[] slice = attentionSlices[worker];
            float maxScore = Float.NEGATIVE_INFINITY;
            for (int t = first; t <= position; ) {
                int end = KvCache.pageEnd(t, position + 1);
                kvCache.keysToFloat(layer, t, end, kvOffset, headDim, slice, 0);
                for (int row = 0; t < end; t++, row += headDim) {
                    float score = attentionScale * VectorMath.dot(qkv, queryOffset, slice, row, headDim);
                    scores[t] = score;
                    maxScore = Math.max(maxScore, score);
                }
            }
            float sum = 0;
            for (int t = first; t <= position; t++) {
                float weight = (float) Math.exp(scores[t] - maxScore);
                scores[t] = weight;
                sum += weight;
            }
            Arrays.fill(attentionOutput, outputOffset, outputOffset + headDim, 0f);
            for (int t = first; t <= position; ) {
                int end = KvCache.pageEnd(t, position + 1);
                kvCache.valuesToFloat(layer, t, end, kvOffset, headDim, slice, 0);
                for (int row = 0; t < end; t++, row += headDim) {
                    VectorMath.addScaled(attentionOutput, outputOffset, slice, row, scores[t] / sum, headDim);
                }
            }
        }
    }
}
