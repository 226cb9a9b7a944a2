package dev.ggufserve.engine.cpu;

import dev.ggufserve.engine.StepEntry;
import dev.ggufserve.engine.StepExecutor;
import dev.ggufserve.model.LayerWeights;
import dev.ggufserve.model.ModelConfig;
import dev.ggufserve.model.ModelWeights;
import dev.ggufserve.tensor.WeightMatrix;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The CPU engine's forward pass, for the tokens of many sequences at once over one pool of KV pages
 * ({@link KvCache}). Every forward pass of the CPU engine runs here, a single sequence's included
 * ({@link CpuSequence} is one entry per step over a pool of its own).
 *
 * <p>The tokens of all of a step's entries, in order, are the rows of an activation tile of up to
 * {@link #TILE} rows; a larger step runs as several tiles, and an entry may span them (a later tile attends over the
 * keys and values the earlier ones stored). Per tile and layer, every projection runs over all rows at once
 * ({@link WeightMatrix#matMul}, which decodes each weight once per tile, so N decoding sequences cost about one pass
 * over the weights instead of N); a tile of one row (single-stream decode) uses {@link WeightMatrix#matVec}, which
 * streams each weight once straight from the mapped file. Each row is rotated at its own position and its key and
 * value stored into its sequence's pages; attention then runs per (entry, head) over that entry's pages, in
 * parallel: {@link TileAttention} for an entry's run of several rows, the one-query path for a single row.
 * Activation buffers are allocated once, so a step allocates next to nothing.
 *
 * <p>Each row's arithmetic does not depend on the other rows of its tile (matMul sums every token lane in the same
 * column order, and attention reads only the row's own sequence), so an entry gets the same logits whoever shares
 * its step, except that a tile of one row runs matVec, whose sums are ordered differently.
 */
public final class CpuStepExecutor implements StepExecutor {

    /**
     * Rows of an activation tile: each weight is decoded once per tile, so the decoding (and the reading of the
     * weights from memory) is shared by up to 128 tokens; the tile's packed activations for one column pass of
     * matMul (512 KB) still fit in L2. Longer steps run as several tiles. Measured against 64 on a 512-token
     * prompt: 3-5% faster.
     */
    static final int TILE = 128;
    /**
     * Rows whose logits one output-head product computes: prompt log-probabilities need every row's, a step of
     * decoding sequences one per sequence. Bounded so the logits buffer (rows x vocabulary) stays a few MB.
     */
    private static final int LOGITS_ROWS = 32;

    private final ModelConfig config;
    private final ModelWeights weights;
    private final ParallelRunner parallel;
    private final KvCache kvCache;
    private final int maxPositions;
    private final int tile;
    private final float[] ropeFactors;
    private final float attentionScale;
    private final int qkvWidth;
    private final int queryDim;
    private final int logitsRows;

    // Activations, one row per token of the tile.
    private final float[] residual;        // the residual stream x
    private final float[] normalized;      // x after RMSNorm, input of the projections
    private final float[] qkv;             // q | k | v
    private final float[] attentionOutput; // all heads' weighted values, concatenated
    private final float[] projected;       // output of attn_output / ffn_down before it joins the residual
    private final float[] gateUp;          // gate half | up half of the feed-forward input
    private final float[] hidden;          // silu(gate) * up
    private final float[] ropeCos;         // per row, cos of each rotary pair's angle
    private final float[] ropeSin;
    private final float[] logits;          // up to logitsRows rows of the output head
    private final float[] positionLogits;  // one row of logits, for an entry's every-position listener
    // Per worker thread.
    private final float[][] attentionScores; // a row of scores over positions
    private final float[][] attentionSlices; // one head's keys or values of up to a slice of positions, as floats
    private final float[][] tileAttentionScratch; // TileAttention's; grown with the positions attended
    private final float[][] matMulScratch;   // packed activations, sums, dequantized weights
    private final TileAttention tileAttention;

    // The tile being run: segments are the runs of consecutive rows of one entry.
    private final StepEntry[] segmentEntry;
    private final int[] segmentFirstRow;
    private final int[] segmentRows;
    private final int[] segmentFirstToken;    // index in the entry's tokens of the segment's first row
    private final int[] segmentFirstItem;     // attention items of the segments before this one
    private int segmentCount;
    private int tileRows;
    // Rows waiting for the output head, as (segment, row within it), gathered into normalized rows 0, 1, ...
    private final int[] pendingSegment;
    private final int[] pendingRow;
    // Step validation: the last step (numbered from 1) that wrote each page.
    private final long[] pageWrittenInStep;
    private long steps;

    // The projection being run by projectSlice, set by project() before it hands out the rows.
    private List<WeightMatrix> projectionMatrices;
    private float[] projectionInput;
    private int projectionTokens;
    private float[] projectionOutput;
    private final ParallelRunner.RangeTask projectSlice = this::projectSlice;
    // The layer being attended by attendSlice.
    private int attentionLayer;
    private final ParallelRunner.RangeTask attendSlice = this::attendSlice;

    /**
     * @param pageCount     pages in the pool
     * @param maxStepTokens the most tokens a step is expected to carry (larger steps run as several tiles)
     * @param maxPositions  the most positions one sequence may reach; it also picks the LongRoPE factors, as
     *                      llama.cpp's per-sequence context does
     */
    CpuStepExecutor(ModelConfig config, ModelWeights weights, ParallelRunner parallel, int pageCount,
            int maxStepTokens, int maxPositions) {
        if (pageCount < 1 || maxStepTokens < 1 || maxPositions < 1) {
            throw new IllegalArgumentException("a step executor needs at least one page, step token and position, got "
                    + pageCount + " pages, " + maxStepTokens + " step tokens, " + maxPositions + " positions");
        }
        this.config = config;
        this.weights = weights;
        this.parallel = parallel;
        this.kvCache = new KvCache(config.blockCount(), pageCount, config.kvDimension());
        this.maxPositions = maxPositions;
        this.tile = Math.min(TILE, maxStepTokens);
        this.ropeFactors = weights.ropeFactorsFor(config, maxPositions);
        this.attentionScale = (float) (1.0 / Math.sqrt(config.headDimension()));
        int embd = config.embeddingLength();
        this.queryDim = config.queryDimension();
        this.qkvWidth = queryDim + 2 * config.kvDimension();
        this.logitsRows = Math.min(LOGITS_ROWS, tile);
        this.residual = new float[tile * embd];
        this.normalized = new float[tile * embd];
        this.qkv = new float[tile * qkvWidth];
        this.attentionOutput = new float[tile * queryDim];
        this.projected = new float[tile * embd];
        this.gateUp = new float[tile * 2 * config.feedForwardLength()];
        this.hidden = new float[tile * config.feedForwardLength()];
        this.ropeCos = new float[tile * config.ropeDimension() / 2];
        this.ropeSin = new float[tile * config.ropeDimension() / 2];
        this.logits = new float[logitsRows * config.vocabularySize()];
        this.positionLogits = new float[config.vocabularySize()];
        this.attentionScores = new float[parallel.threads()][maxPositions];
        this.attentionSlices = new float[parallel.threads()][KvCache.SLICE_POSITIONS * config.headDimension()];
        this.tileAttentionScratch = new float[parallel.threads()][0];
        this.tileAttention = new TileAttention(kvCache, config.headDimension(), config.slidingWindow(),
                attentionScale);
        this.matMulScratch = new float[parallel.threads()][WeightMatrix.matMulScratchSize(tile,
                Math.max(Math.max(embd, queryDim), config.feedForwardLength()))];
        this.segmentEntry = new StepEntry[tile];
        this.segmentFirstRow = new int[tile];
        this.segmentRows = new int[tile];
        this.segmentFirstToken = new int[tile];
        this.segmentFirstItem = new int[tile + 1];
        this.pendingSegment = new int[logitsRows];
        this.pendingRow = new int[logitsRows];
        this.pageWrittenInStep = new long[pageCount];
    }

    @Override
    public int pagePositions() {
        return KvCache.PAGE_POSITIONS;
    }

    @Override
    public int pageCount() {
        return kvCache.pageCount();
    }

    @Override
    public boolean sharesPages() {
        return true;
    }

    @Override
    public void step(List<StepEntry> entries) {
        validate(entries);
        int entryIndex = 0;
        int tokenIndex = 0;
        while (entryIndex < entries.size()) {
            // fill a tile with the next rows, entry after entry
            tileRows = 0;
            segmentCount = 0;
            while (tileRows < tile && entryIndex < entries.size()) {
                StepEntry entry = entries.get(entryIndex);
                int rows = Math.min(tile - tileRows, entry.tokens().length - tokenIndex);
                segmentEntry[segmentCount] = entry;
                segmentFirstRow[segmentCount] = tileRows;
                segmentRows[segmentCount] = rows;
                segmentFirstToken[segmentCount] = tokenIndex;
                segmentCount++;
                tileRows += rows;
                tokenIndex += rows;
                if (tokenIndex == entry.tokens().length) {
                    entryIndex++;
                    tokenIndex = 0;
                }
            }
            forward();
            computeLogits();
        }
        // the entries (their logits arrays and listeners) belong to the caller once the step is done
        Arrays.fill(segmentEntry, null);
    }

    @Override
    public void release(long sequenceId) {
        // Sequences keep no state here but their pages, which the serving layer owns.
    }

    @Override
    public void close() {
        // The KV pages and buffers are plain heap arrays; nothing native to release.
    }

    /**
     * Checks every entry before any is run, so a bad one leaves the pool as it was: tokens in the vocabulary,
     * positions within {@code maxPositions}, page tables long enough and naming allocated pages for the positions
     * they read, distinct sequences, and no page written twice or both written and read as an earlier position.
     */
    private void validate(List<StepEntry> entries) {
        int vocabulary = config.vocabularySize();
        int pagePositions = KvCache.PAGE_POSITIONS;
        Set<Long> sequenceIds = new HashSet<>();
        long step = ++steps;
        for (int e = 0; e < entries.size(); e++) {
            StepEntry entry = entries.get(e);
            String name = "sequence " + entry.sequenceId();
            if (!sequenceIds.add(entry.sequenceId())) {
                throw new IllegalArgumentException(name + " appears twice in one step");
            }
            int[] tokens = entry.tokens();
            if (tokens == null || tokens.length == 0) {
                throw new IllegalArgumentException(name + ": no tokens to run");
            }
            for (int token : tokens) {
                if (token < 0 || token >= vocabulary) {
                    throw new IllegalArgumentException(name + ": token id " + token + " is outside the vocabulary [0, "
                            + vocabulary + ")");
                }
            }
            int start = entry.startPosition();
            if (start < 0 || start > maxPositions - tokens.length) {
                throw new IllegalArgumentException(name + ": positions " + start + " to " + (start + tokens.length)
                        + " do not fit in the " + maxPositions + " positions a sequence may hold");
            }
            if (entry.logits() == null || entry.logits().length < vocabulary) {
                throw new IllegalArgumentException(name + ": the logits array must hold " + vocabulary + " floats");
            }
            int[] pageTable = entry.pageTable();
            int pagesUsed = (start + tokens.length + pagePositions - 1) / pagePositions;
            if (pageTable == null || pageTable.length < pagesUsed) {
                throw new IllegalArgumentException(name + ": " + (start + tokens.length) + " positions need "
                        + pagesUsed + " pages, the page table has " + (pageTable == null ? 0 : pageTable.length));
            }
            for (int i = 0; i < pagesUsed; i++) {
                if (pageTable[i] < 0 || pageTable[i] >= kvCache.pageCount()) {
                    throw new IllegalArgumentException(name + ": page id " + pageTable[i] + " is outside the pool [0, "
                            + kvCache.pageCount() + ")");
                }
            }
            for (int i = 0; i < (start + pagePositions - 1) / pagePositions; i++) {
                if (!kvCache.isAllocated(pageTable[i])) {
                    throw new IllegalArgumentException(name + ": page " + pageTable[i] + " holds positions before "
                            + start + " but was never written");
                }
            }
            for (int i = start / pagePositions; i < pagesUsed; i++) {
                int page = pageTable[i];
                if (pageWrittenInStep[page] == step) {
                    throw new IllegalArgumentException(name + ": page " + page + " is written twice in one step");
                }
                pageWrittenInStep[page] = step;
            }
        }
        for (int e = 0; e < entries.size(); e++) {
            StepEntry entry = entries.get(e);
            for (int i = 0; i < entry.startPosition() / pagePositions; i++) {
                if (pageWrittenInStep[entry.pageTable()[i]] == step) {
                    throw new IllegalArgumentException("sequence " + entry.sequenceId() + ": page "
                            + entry.pageTable()[i] + " holds its earlier positions but is written in this step");
                }
            }
        }
    }

    /** Runs the rows of the current tile through every layer, storing their keys and values. */
    private void forward() {
        int rows = tileRows;
        int embd = config.embeddingLength();
        int kvDim = config.kvDimension();
        int ff = config.feedForwardLength();
        float epsilon = config.rmsNormEpsilon();
        for (int s = 0; s < segmentCount; s++) {
            StepEntry entry = segmentEntry[s];
            for (int r = 0; r < segmentRows[s]; r++) {
                int row = segmentFirstRow[s] + r;
                int token = segmentFirstToken[s] + r;
                weights.tokenEmbedding().dequantizeRow(entry.tokens()[token], residual, row * embd);
                computeRotation(row, entry.startPosition() + token);
            }
        }
        long attentionCost = planAttention();
        for (int layer = 0; layer < config.blockCount(); layer++) {
            LayerWeights w = weights.layers().get(layer);

            for (int i = 0; i < rows; i++) {
                VectorMath.rmsNorm(normalized, residual, i * embd, embd, w.attentionNorm(), epsilon);
            }
            project(w.qkvProjections(), normalized, rows, qkv);
            for (int s = 0; s < segmentCount; s++) {
                StepEntry entry = segmentEntry[s];
                for (int r = 0; r < segmentRows[s]; r++) {
                    int i = segmentFirstRow[s] + r;
                    int row = i * qkvWidth;
                    if (w.adjustsQkv()) {
                        AttentionInputs.prepare(qkv, row, w, config);
                    }
                    rotate(qkv, row, config.headCount(), i);
                    rotate(qkv, row + queryDim, config.kvHeadCount(), i);
                    kvCache.store(entry.pageTable(), layer, entry.startPosition() + segmentFirstToken[s] + r, qkv,
                            row + queryDim, row + queryDim + kvDim);
                }
            }
            attentionLayer = layer;
            int items = segmentFirstItem[segmentCount];
            parallel.forRange(items, attentionCost / items, attendSlice);
            project(List.of(w.attentionOutput()), attentionOutput, rows, projected);
            VectorMath.addInto(residual, projected, rows * embd);

            for (int i = 0; i < rows; i++) {
                VectorMath.rmsNorm(normalized, residual, i * embd, embd, w.feedForwardNorm(), epsilon);
            }
            project(w.gateUpProjections(), normalized, rows, gateUp);
            for (int i = 0; i < rows; i++) {
                VectorMath.swiGlu(hidden, i * ff, gateUp, i * 2 * ff, ff);
            }
            project(List.of(w.feedForwardDown()), hidden, rows, projected);
            VectorMath.addInto(residual, projected, rows * embd);
        }
    }

    /**
     * Numbers the attention items of the tile's segments (a single row: one item per head; several rows: one per
     * head and block of {@link TileAttention#QUERIES} rows) and returns the multiply-adds of one layer's attention.
     */
    private long planAttention() {
        int heads = config.headCount();
        long cost = 0;
        for (int s = 0; s < segmentCount; s++) {
            int rows = segmentRows[s];
            int blocks = rows == 1 ? 1 : (rows + TileAttention.QUERIES - 1) / TileAttention.QUERIES;
            segmentFirstItem[s + 1] = segmentFirstItem[s] + blocks * heads;
            long positions = segmentEntry[s].startPosition() + segmentFirstToken[s] + rows;
            long queries = rows == 1 ? 1 : TileAttention.QUERIES;
            cost += blocks * heads * positions * config.headDimension() * 2 * queries;
        }
        return cost;
    }

    /**
     * The logits of the tile's rows that need them (an entry's last token, and every token of an entry with an
     * every-position listener), up to {@link #logitsRows} rows per product of the output head.
     */
    private void computeLogits() {
        int embd = config.embeddingLength();
        int pending = 0;
        for (int s = 0; s < segmentCount; s++) {
            StepEntry entry = segmentEntry[s];
            for (int r = 0; r < segmentRows[s]; r++) {
                boolean last = segmentFirstToken[s] + r == entry.tokens().length - 1;
                if (!last && entry.everyPosition() == null) {
                    continue;
                }
                VectorMath.rmsNorm(normalized, residual, (segmentFirstRow[s] + r) * embd, embd,
                        weights.outputNorm(), config.rmsNormEpsilon());
                if (segmentFirstRow[s] + r != pending) {
                    System.arraycopy(normalized, (segmentFirstRow[s] + r) * embd, normalized, pending * embd, embd);
                }
                pendingSegment[pending] = s;
                pendingRow[pending] = r;
                pending++;
                if (pending == logitsRows) {
                    deliverLogits(pending);
                    pending = 0;
                }
            }
        }
        if (pending > 0) {
            deliverLogits(pending);
        }
    }

    /** Runs the output head over normalized rows {@code [0, count)} and hands each row's logits to its entry. */
    private void deliverLogits(int count) {
        int vocabulary = config.vocabularySize();
        project(List.of(weights.output()), normalized, count, logits);
        for (int i = 0; i < count; i++) {
            StepEntry entry = segmentEntry[pendingSegment[i]];
            int token = segmentFirstToken[pendingSegment[i]] + pendingRow[i];
            if (entry.everyPosition() != null) {
                System.arraycopy(logits, i * vocabulary, positionLogits, 0, vocabulary);
                entry.everyPosition().accept(token, positionLogits);
            }
            if (token == entry.tokens().length - 1) {
                System.arraycopy(logits, i * vocabulary, entry.logits(), 0, vocabulary);
            }
        }
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
     * The rotary angles of {@code position}, for row {@code i} of the tile: pair j turns by
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
     * Rotates the first {@code ropeDimension} values of each of {@code heads} heads starting at {@code offset}, by
     * the angles of row {@code i}: adjacent pairs (2j, 2j+1) for llama (GGML's normal mode), pairs (j, j + d/2) for
     * phi3, qwen2 and qwen3 (NEOX mode).
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
     * Attention items {@code [from, to)} of the current layer (numbered by {@link #planAttention}): a segment of one
     * row attends query by query ({@link #attendOne}), a longer one in blocks of rows ({@link TileAttention}).
     */
    private void attendSlice(int worker, int from, int to) {
        int heads = config.headCount();
        int headDim = config.headDimension();
        int headsPerKv = heads / config.kvHeadCount();
        int segment = 0;
        while (segmentFirstItem[segment + 1] <= from) {
            segment++;
        }
        for (int item = from; item < to; item++) {
            while (segmentFirstItem[segment + 1] <= item) {
                segment++;
            }
            StepEntry entry = segmentEntry[segment];
            int local = item - segmentFirstItem[segment];
            int block = local / heads;
            int head = local % heads;
            int firstPosition = entry.startPosition() + segmentFirstToken[segment];
            int kvOffset = (head / headsPerKv) * headDim;
            if (segmentRows[segment] == 1) {
                attendOne(worker, entry.pageTable(), segmentFirstRow[segment], firstPosition, head, kvOffset);
            } else {
                int firstQuery = block * TileAttention.QUERIES;
                int queries = Math.min(TileAttention.QUERIES, segmentRows[segment] - firstQuery);
                int lastPosition = firstPosition + firstQuery + queries - 1;
                float[] scratch = tileAttentionScratch(worker, lastPosition + 1);
                tileAttention.attend(attentionLayer, entry.pageTable(), qkv, qkvWidth, head * headDim, kvOffset,
                        segmentFirstRow[segment] + firstQuery, queries, firstPosition + firstQuery, attentionOutput,
                        queryDim, head * headDim, scratch);
            }
        }
    }

    /** This worker's TileAttention scratch, grown for {@code positions} positions when too small. */
    private float[] tileAttentionScratch(int worker, int positions) {
        if (tileAttentionScratch[worker].length < tileAttention.scratchSize(positions)) {
            // grown in steps of 512 positions, so a long prompt reallocates only every few tiles
            int grown = (positions + 511) / 512 * 512;
            tileAttentionScratch[worker] = new float[tileAttention.scratchSize(grown)];
        }
        return tileAttentionScratch[worker];
    }

    /**
     * Causal attention of head {@code head} of the tile's row {@code row}, at {@code position} of the sequence whose
     * pages are {@code pageTable}, over the cached positions up to its own (within the sliding window).
     */
    private void attendOne(int worker, int[] pageTable, int row, int position, int head, int kvOffset) {
        int headDim = config.headDimension();
        int window = config.slidingWindow();
        float[] scores = attentionScores[worker];
        float[] slice = attentionSlices[worker];
        int layer = attentionLayer;
        int first = window > 0 ? Math.max(0, position - window + 1) : 0;
        int queryOffset = row * qkvWidth + head * headDim;
        int outputOffset = row * queryDim + head * headDim;
        float maxScore = Float.NEGATIVE_INFINITY;
        for (int t = first; t <= position; ) {
            int end = KvCache.sliceEnd(t, position + 1);
            kvCache.keysToFloat(pageTable, layer, t, end, kvOffset, headDim, slice, 0);
            for (int r = 0; t < end; t++, r += headDim) {
                float score = attentionScale * VectorMath.dot(qkv, queryOffset, slice, r, headDim);
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
            int end = KvCache.sliceEnd(t, position + 1);
            kvCache.valuesToFloat(pageTable, layer, t, end, kvOffset, headDim, slice, 0);
            for (int r = 0; t < end; t++, r += headDim) {
                VectorMath.addScaled(attentionOutput, outputOffset, slice, r, scores[t] / sum, headDim);
            }
        }
    }
}
