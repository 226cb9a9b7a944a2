package dev.ggufserve.engine.cpu;

import dev.ggufserve.tensor.FloatTile;
import dev.ggufserve.tensor.Lanes;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Causal attention of one head for a block of {@link #QUERIES} consecutive prompt tokens at once, as two small
 * matrix products in the outer-product form of the prefill kernels: scores^T[t][i] = k_t . q_i for every key t the
 * block sees, then out^T[d][i] = sum_t p[t][i] * v_t[d]. The block's queries sit side by side in vector lanes
 * (packed transposed, {@link #QUERIES} = 4 vectors), so each key or value element loaded is broadcast once and used
 * for every query of the block, and the softmax runs lane-wise with no lane sums. Per token and head this replaces a
 * dot product and a scaled add per position, each over one head's 96 values with a lane sum, by FMAs that run at the
 * vector units' rate.
 *
 * <p>Every lane's sums run in position order, so the result does not depend on how many queries share a block.
 * Lanes of queries beyond the tile (padding) and keys a query may not see (later positions, or before its sliding
 * window) get probability 0.
 */
final class TileAttention {

    private static final VectorSpecies<Float> FLOATS = Lanes.FLOATS;
    private static final int COUNT = FLOATS.length();
    /** Query vectors per block: the token vectors of {@link FloatTile#add6x4}, which computes the scores. */
    private static final int VECTORS = FloatTile.VECTORS;
    /** Queries per block. */
    static final int QUERIES = VECTORS * COUNT;
    /** Keys per scores kernel call ({@link FloatTile#add6x4}'s rows), value dimensions per output kernel call. */
    private static final int GROUP = FloatTile.ROWS;

    private final KvCache kvCache;
    private final int headDim;
    private final int window;
    private final float scale;
    /** Query i's lane index within its vector: 0, 1, ... COUNT - 1, as floats for comparing positions. */
    private final FloatVector laneIndex;

    TileAttention(KvCache kvCache, int headDim, int window, float scale) {
        this.kvCache = kvCache;
        this.headDim = headDim;
        this.window = window;
        this.scale = scale;
        this.laneIndex = (FloatVector) IntVector.zero(FLOATS.withLanes(int.class)).addIndex(1)
                .convert(VectorOperators.I2F, 0);
    }

    /** Scratch floats one thread needs for blocks attending up to {@code positions} positions. */
    int scratchSize(int positions) {
        return QUERIES + headDim * QUERIES + positions * QUERIES + headDim * QUERIES + KvCache.SLICE_POSITIONS * headDim;
    }

    /**
     * Attention of {@code queries} consecutive tokens of one sequence, at most {@link #QUERIES}: query i is the
     * tile's row {@code firstQuery + i} (at {@code qkv[(firstQuery + i) * qkvWidth + queryOffset ...]}), at position
     * {@code firstPosition + i} of the sequence whose KV pages are {@code pageTable}; for the KV head whose values
     * start at {@code kvOffset}, into {@code out[(firstQuery + i) * outStride + outOffset ...]}. The cache must hold
     * every position up to the last query's.
     */
    void attend(int layer, int[] pageTable, float[] qkv, int qkvWidth, int queryOffset, int kvOffset, int firstQuery,
            int queries, int firstPosition, float[] out, int outStride, int outOffset, float[] scratch) {
        int inverseSums = 0;
        int queriesT = QUERIES;
        int scoresT = queriesT + headDim * QUERIES;
        int lastPosition = firstPosition + queries - 1;
        int firstKey = window > 0 ? Math.max(0, firstPosition - window + 1) : 0;
        int keys = lastPosition - firstKey + 1;
        int outT = scoresT + keys * QUERIES;
        // one head's keys or values of up to a slice of positions, converted from the cache's halves
        int slice = outT + headDim * QUERIES;
        // queries transposed: dimension d's QUERIES values side by side, zero past the last query
        for (int d = 0; d < headDim; d++) {
            for (int i = 0; i < QUERIES; i++) {
                scratch[queriesT + d * QUERIES + i] =
                        i < queries ? qkv[(firstQuery + i) * qkvWidth + queryOffset + d] : 0f;
            }
        }
        // FloatTile.add6x4 adds to its output: the scores start at zero
        Arrays.fill(scratch, scoresT, scoresT + keys * QUERIES, 0f);
        for (int t = firstKey; t <= lastPosition; ) {
            int sliceStart = t;
            int sliceEnd = KvCache.sliceEnd(t, lastPosition + 1);
            kvCache.keysToFloat(pageTable, layer, sliceStart, sliceEnd, kvOffset, headDim, scratch, slice);
            for (; t + GROUP <= sliceEnd; t += GROUP) {
                // 6 keys (rows of the slice) times the transposed queries (QUERIES lanes per dimension)
                FloatTile.add6x4(scratch, slice + (t - sliceStart) * headDim, headDim, scratch, queriesT, QUERIES,
                        headDim, scratch, scoresT + (t - firstKey) * QUERIES);
            }
            for (; t < sliceEnd; t++) {
                scores1(scratch, slice + (t - sliceStart) * headDim, scratch, queriesT, scratch,
                        scoresT + (t - firstKey) * QUERIES);
            }
        }
        for (int v = 0; v < VECTORS; v++) {
            softmax(scratch, scoresT + v * COUNT, firstKey, keys, firstPosition + v * COUNT,
                    scratch, inverseSums + v * COUNT);
        }
        // the sums run slice by slice, each slice's values converted once; every lane still adds in position order
        Arrays.fill(scratch, outT, outT + headDim * QUERIES, 0f);
        for (int t = firstKey; t <= lastPosition; ) {
            int sliceEnd = KvCache.sliceEnd(t, lastPosition + 1);
            kvCache.valuesToFloat(pageTable, layer, t, sliceEnd, kvOffset, headDim, scratch, slice);
            int probabilities = scoresT + (t - firstKey) * QUERIES;
            int d = 0;
            for (; d + GROUP <= headDim; d += GROUP) {
                values6(scratch, slice + d, sliceEnd - t, scratch, probabilities, scratch, outT + d * QUERIES);
            }
            for (; d < headDim; d++) {
                values1(scratch, slice + d, sliceEnd - t, scratch, probabilities, scratch, outT + d * QUERIES);
            }
            t = sliceEnd;
        }
        for (int v = 0; v < VECTORS; v++) {
            FloatVector inverse = FloatVector.fromArray(FLOATS, scratch, inverseSums + v * COUNT);
            for (int d = 0; d < headDim; d++) {
                int at = outT + d * QUERIES + v * COUNT;
                FloatVector.fromArray(FLOATS, scratch, at).mul(inverse).intoArray(scratch, at);
            }
        }
        for (int i = 0; i < queries; i++) {
            for (int d = 0; d < headDim; d++) {
                out[(firstQuery + i) * outStride + outOffset + d] = scratch[outT + d * QUERIES + i];
            }
        }
    }

    /**
     * For one vector of the block's queries (lane i at position {@code firstPosition + i}): turns its scores (lanes
     * from {@code scoresOffset}, row k for key {@code firstKey + k}) into unnormalized probabilities
     * exp(scale * s - max) in place, 0 where the query may not see the key, and stores 1 / their sum per lane to
     * {@code inverseSums[inverseOffset ...]}.
     */
    private void softmax(float[] scores, int scoresOffset, int firstKey, int keys, int firstPosition,
            float[] inverseSums, int inverseOffset) {
        FloatVector position = laneIndex.add(firstPosition);
        FloatVector max = FloatVector.broadcast(FLOATS, Float.NEGATIVE_INFINITY);
        for (int k = 0, at = scoresOffset; k < keys; k++, at += QUERIES) {
            FloatVector score = FloatVector.fromArray(FLOATS, scores, at).mul(scale);
            max = max.max(score.blend(Float.NEGATIVE_INFINITY, hidden(position, firstKey + k)));
        }
        FloatVector sum = FloatVector.zero(FLOATS);
        for (int k = 0, at = scoresOffset; k < keys; k++, at += QUERIES) {
            FloatVector score = FloatVector.fromArray(FLOATS, scores, at).mul(scale);
            FloatVector weight = exp(score.sub(max)).blend(0f, hidden(position, firstKey + k));
            weight.intoArray(scores, at);
            sum = sum.add(weight);
        }
        FloatVector.broadcast(FLOATS, 1f).div(sum).intoArray(inverseSums, inverseOffset);
    }

    /** Lanes of queries at {@code position} that may not see key {@code key}: later than the query, or before its
     * window. */
    private VectorMask<Float> hidden(FloatVector position, int key) {
        VectorMask<Float> hidden = position.compare(VectorOperators.LT, key);
        if (window > 0) {
            hidden = hidden.or(position.compare(VectorOperators.GE, key + window));
        }
        return hidden;
    }

    /**
     * e^x for x <= 0 (a softmax's shifted scores), lane-wise, to about 2 ulp: x = n ln2 + r with |r| <= ln2/2, e^r by
     * a degree-6 Taylor polynomial, times 2^n built from the exponent bits; below -87 the result is flushed to 0.
     * Only exactly rounded operations, so compiled and interpreted code give the same bits (the Vector API's EXP
     * does not promise that).
     */
    static FloatVector exp(FloatVector x) {
        FloatVector clamped = x.max(-87f);
        // round(x / ln2) by the 1.5 * 2^23 trick: adding and subtracting it leaves the nearest integer
        FloatVector n = clamped.fma(1.44269504f, 12582912f).sub(12582912f);
        // ln2 in two parts (Cephes): n times the first is exact for |n| < 2^12
        FloatVector r = clamped.sub(n.mul(0.693145751953125f)).sub(n.mul(1.428606765330187e-6f));
        FloatVector p = r.fma(1f / 720, 1f / 120);
        p = p.fma(r, FloatVector.broadcast(FLOATS, 1f / 24));
        p = p.fma(r, FloatVector.broadcast(FLOATS, 1f / 6));
        p = p.fma(r, FloatVector.broadcast(FLOATS, 0.5f));
        p = p.fma(r, FloatVector.broadcast(FLOATS, 1f));
        p = p.fma(r, FloatVector.broadcast(FLOATS, 1f));
        IntVector bits = ((IntVector) n.convert(VectorOperators.F2I, 0)).add(127).lanewise(VectorOperators.LSHL, 23);
        FloatVector result = p.mul(bits.reinterpretAsFloats());
        return result.blend(0f, x.compare(VectorOperators.LT, -87f));
    }

    /** The score of one key (at {@code keys[keyOffset ...]}) with the block's queries, stored to {@code scores}
     * from {@code scoresOffset}: what {@link FloatTile#add6x4} computes for 6 keys at once. */
    private void scores1(float[] keys, int keyOffset, float[] queriesT, int queriesOffset, float[] scores,
            int scoresOffset) {
        FloatVector a0 = FloatVector.zero(FLOATS);
        FloatVector a1 = a0, a2 = a0, a3 = a0;
        int column = queriesOffset;
        for (int d = 0; d < headDim; d++, column += QUERIES) {
            FloatVector b = FloatVector.broadcast(FLOATS, keys[keyOffset + d]);
            a0 = FloatVector.fromArray(FLOATS, queriesT, column).fma(b, a0);
            a1 = FloatVector.fromArray(FLOATS, queriesT, column + COUNT).fma(b, a1);
            a2 = FloatVector.fromArray(FLOATS, queriesT, column + 2 * COUNT).fma(b, a2);
            a3 = FloatVector.fromArray(FLOATS, queriesT, column + 3 * COUNT).fma(b, a3);
        }
        a0.intoArray(scores, scoresOffset);
        a1.intoArray(scores, scoresOffset + COUNT);
        a2.intoArray(scores, scoresOffset + 2 * COUNT);
        a3.intoArray(scores, scoresOffset + 3 * COUNT);
    }

    /**
     * For value dimensions c in [0, 6) and every query: adds the sum over {@code keys} keys of probability (row k of
     * {@code probabilities} from {@code probabilitiesOffset}) times value ({@code values[valueOffset + k * headDim
     * + c]}) to rows c of {@code out} from {@code outOffset}.
     */
    private void values6(float[] values, int valueOffset, int keys, float[] probabilities, int probabilitiesOffset,
            float[] out, int outOffset) {
        FloatVector a00 = FloatVector.fromArray(FLOATS, out, outOffset);
        FloatVector a01 = FloatVector.fromArray(FLOATS, out, outOffset + COUNT);
        FloatVector a02 = FloatVector.fromArray(FLOATS, out, outOffset + 2 * COUNT);
        FloatVector a03 = FloatVector.fromArray(FLOATS, out, outOffset + 3 * COUNT);
        FloatVector a10 = FloatVector.fromArray(FLOATS, out, outOffset + QUERIES);
        FloatVector a11 = FloatVector.fromArray(FLOATS, out, outOffset + QUERIES + COUNT);
        FloatVector a12 = FloatVector.fromArray(FLOATS, out, outOffset + QUERIES + 2 * COUNT);
        FloatVector a13 = FloatVector.fromArray(FLOATS, out, outOffset + QUERIES + 3 * COUNT);
        FloatVector a20 = FloatVector.fromArray(FLOATS, out, outOffset + 2 * QUERIES);
        FloatVector a21 = FloatVector.fromArray(FLOATS, out, outOffset + 2 * QUERIES + COUNT);
        FloatVector a22 = FloatVector.fromArray(FLOATS, out, outOffset + 2 * QUERIES + 2 * COUNT);
        FloatVector a23 = FloatVector.fromArray(FLOATS, out, outOffset + 2 * QUERIES + 3 * COUNT);
        FloatVector a30 = FloatVector.fromArray(FLOATS, out, outOffset + 3 * QUERIES);
        FloatVector a31 = FloatVector.fromArray(FLOATS, out, outOffset + 3 * QUERIES + COUNT);
        FloatVector a32 = FloatVector.fromArray(FLOATS, out, outOffset + 3 * QUERIES + 2 * COUNT);
        FloatVector a33 = FloatVector.fromArray(FLOATS, out, outOffset + 3 * QUERIES + 3 * COUNT);
        FloatVector a40 = FloatVector.fromArray(FLOATS, out, outOffset + 4 * QUERIES);
        FloatVector a41 = FloatVector.fromArray(FLOATS, out, outOffset + 4 * QUERIES + COUNT);
        FloatVector a42 = FloatVector.fromArray(FLOATS, out, outOffset + 4 * QUERIES + 2 * COUNT);
        FloatVector a43 = FloatVector.fromArray(FLOATS, out, outOffset + 4 * QUERIES + 3 * COUNT);
        FloatVector a50 = FloatVector.fromArray(FLOATS, out, outOffset + 5 * QUERIES);
        FloatVector a51 = FloatVector.fromArray(FLOATS, out, outOffset + 5 * QUERIES + COUNT);
        FloatVector a52 = FloatVector.fromArray(FLOATS, out, outOffset + 5 * QUERIES + 2 * COUNT);
        FloatVector a53 = FloatVector.fromArray(FLOATS, out, outOffset + 5 * QUERIES + 3 * COUNT);
        int row = probabilitiesOffset;
        for (int k = 0, at = valueOffset; k < keys; k++, at += headDim, row += QUERIES) {
            FloatVector p0 = FloatVector.fromArray(FLOATS, probabilities, row);
            FloatVector p1 = FloatVector.fromArray(FLOATS, probabilities, row + COUNT);
            FloatVector p2 = FloatVector.fromArray(FLOATS, probabilities, row + 2 * COUNT);
            FloatVector p3 = FloatVector.fromArray(FLOATS, probabilities, row + 3 * COUNT);
            FloatVector b = FloatVector.broadcast(FLOATS, values[at]);
            a00 = p0.fma(b, a00);
            a01 = p1.fma(b, a01);
            a02 = p2.fma(b, a02);
            a03 = p3.fma(b, a03);
            b = FloatVector.broadcast(FLOATS, values[at + 1]);
            a10 = p0.fma(b, a10);
            a11 = p1.fma(b, a11);
            a12 = p2.fma(b, a12);
            a13 = p3.fma(b, a13);
            b = FloatVector.broadcast(FLOATS, values[at + 2]);
            a20 = p0.fma(b, a20);
            a21 = p1.fma(b, a21);
            a22 = p2.fma(b, a22);
            a23 = p3.fma(b, a23);
            b = FloatVector.broadcast(FLOATS, values[at + 3]);
            a30 = p0.fma(b, a30);
            a31 = p1.fma(b, a31);
            a32 = p2.fma(b, a32);
            a33 = p3.fma(b, a33);
            b = FloatVector.broadcast(FLOATS, values[at + 4]);
            a40 = p0.fma(b, a40);
            a41 = p1.fma(b, a41);
            a42 = p2.fma(b, a42);
            a43 = p3.fma(b, a43);
            b = FloatVector.broadcast(FLOATS, values[at + 5]);
            a50 = p0.fma(b, a50);
            a51 = p1.fma(b, a51);
            a52 = p2.fma(b, a52);
            a53 = p3.fma(b, a53);
        }
        a00.intoArray(out, outOffset);
        a01.intoArray(out, outOffset + COUNT);
        a02.intoArray(out, outOffset + 2 * COUNT);
        a03.intoArray(out, outOffset + 3 * COUNT);
        a10.intoArray(out, outOffset + QUERIES);
        a11.intoArray(out, outOffset + QUERIES + COUNT);
        a12.intoArray(out, outOffset + QUERIES + 2 * COUNT);
        a13.intoArray(out, outOffset + QUERIES + 3 * COUNT);
        a20.intoArray(out, outOffset + 2 * QUERIES);
        a21.intoArray(out, outOffset + 2 * QUERIES + COUNT);
        a22.intoArray(out, outOffset + 2 * QUERIES + 2 * COUNT);
        a23.intoArray(out, outOffset + 2 * QUERIES + 3 * COUNT);
        a30.intoArray(out, outOffset + 3 * QUERIES);
        a31.intoArray(out, outOffset + 3 * QUERIES + COUNT);
        a32.intoArray(out, outOffset + 3 * QUERIES + 2 * COUNT);
        a33.intoArray(out, outOffset + 3 * QUERIES + 3 * COUNT);
        a40.intoArray(out, outOffset + 4 * QUERIES);
        a41.intoArray(out, outOffset + 4 * QUERIES + COUNT);
        a42.intoArray(out, outOffset + 4 * QUERIES + 2 * COUNT);
        a43.intoArray(out, outOffset + 4 * QUERIES + 3 * COUNT);
        a50.intoArray(out, outOffset + 5 * QUERIES);
        a51.intoArray(out, outOffset + 5 * QUERIES + COUNT);
        a52.intoArray(out, outOffset + 5 * QUERIES + 2 * COUNT);
        a53.intoArray(out, outOffset + 5 * QUERIES + 3 * COUNT);
    }

    /** {@link #values6} for one value dimension. */
    private void values1(float[] values, int valueOffset, int keys, float[] probabilities, int probabilitiesOffset,
            float[] out, int outOffset) {
        FloatVector a0 = FloatVector.fromArray(FLOATS, out, outOffset);
        FloatVector a1 = FloatVector.fromArray(FLOATS, out, outOffset + COUNT);
        FloatVector a2 = FloatVector.fromArray(FLOATS, out, outOffset + 2 * COUNT);
        FloatVector a3 = FloatVector.fromArray(FLOATS, out, outOffset + 3 * COUNT);
        int row = probabilitiesOffset;
        for (int k = 0, at = valueOffset; k < keys; k++, at += headDim, row += QUERIES) {
            FloatVector b = FloatVector.broadcast(FLOATS, values[at]);
            a0 = FloatVector.fromArray(FLOATS, probabilities, row).fma(b, a0);
            a1 = FloatVector.fromArray(FLOATS, probabilities, row + COUNT).fma(b, a1);
            a2 = FloatVector.fromArray(FLOATS, probabilities, row + 2 * COUNT).fma(b, a2);
            a3 = FloatVector.fromArray(FLOATS, probabilities, row + 3 * COUNT).fma(b, a3);
        }
        a0.intoArray(out, outOffset);
        a1.intoArray(out, outOffset + COUNT);
        a2.intoArray(out, outOffset + 2 * COUNT);
        a3.intoArray(out, outOffset + 3 * COUNT);
    }
}
