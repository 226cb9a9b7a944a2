package dev.ggufserve.tensor;

import static dev.ggufserve.tensor.Lanes.COUNT;
import static dev.ggufserve.tensor.Lanes.FLOATS;

import jdk.incubator.vector.FloatVector;

/**
 * The float micro-kernels of {@link WeightMatrix#matMul}, in outer-product form: for each column j, the weight of
 * each of {@link #ROWS} dequantized rows is broadcast and multiplied with a vector of {@link Lanes#COUNT} tokens'
 * activations at column j (the activations are packed transposed, tokens contiguous per column). Every lane of every
 * accumulator is one (row, token) output summed over j in column order, so there are no lane sums at the end, and
 * each output's rounding does not depend on how many tokens or rows were computed with it.
 *
 * <p>{@link #add6x4}: 6 rows x 4 token vectors = 24 accumulators, plus 4 activation vectors and a broadcast weight,
 * fits the 32 zmm registers of AVX-512; each column costs 4 vector loads and 6 broadcast loads for 24 FMAs, so the
 * loop is bound by the FMA units, not by loads. The accumulators are spelled out as locals so C2 keeps them in
 * registers. {@link #add6x1} covers token counts that leave fewer than 4 vectors.
 *
 * <p>{@link #addRowTo4Tokens} and {@link #addRowTo1Token} are the kernels of {@code WeightMatrix}'s generic small tiles
 * (a few tokens; Q4_K has fused ones): one decoded row times each token's activations, tokens not packed across lanes.
 *
 * <p>Prefill attention ({@code engine.cpu.TileAttention}) uses {@link #add6x4} too, for the scores of 6 keys with a
 * block of 64 queries packed the same way.
 */
public final class FloatTile {

    /** Weight rows per kernel call. */
    public static final int ROWS = 6;
    /** Token vectors per {@link #add6x4} call. */
    public static final int VECTORS = 4;

    private FloatTile() {
    }

    /**
     * For r in [0, 6) and the 4 token vectors v in [0, 4): {@code acc[accOffset + r * width + v * COUNT + lane] +=
     * sum_j w[wOffset + r * wStride + j] * xT[xOffset + j * width + v * COUNT + lane]} for j in [0, length).
     * {@code xT} holds the packed activations: column j's {@code width} token values start at {@code j * width}.
     */
    public static void add6x4(float[] w, int wOffset, int wStride, float[] xT, int xOffset, int width, int length,
            float[] acc, int accOffset) {
        FloatVector a00 = FloatVector.zero(FLOATS);
        FloatVector a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        FloatVector a40 = a00, a41 = a00, a42 = a00, a43 = a00;
        FloatVector a50 = a00, a51 = a00, a52 = a00, a53 = a00;
        int w0 = wOffset;
        int w1 = w0 + wStride;
        int w2 = w1 + wStride;
        int w3 = w2 + wStride;
        int w4 = w3 + wStride;
        int w5 = w4 + wStride;
        int column = xOffset;
        for (int j = 0; j < length; j++, column += width) {
            FloatVector x0 = FloatVector.fromArray(FLOATS, xT, column);
            FloatVector x1 = FloatVector.fromArray(FLOATS, xT, column + COUNT);
            FloatVector x2 = FloatVector.fromArray(FLOATS, xT, column + 2 * COUNT);
            FloatVector x3 = FloatVector.fromArray(FLOATS, xT, column + 3 * COUNT);
            FloatVector b = FloatVector.broadcast(FLOATS, w[w0 + j]);
            a00 = x0.fma(b, a00);
            a01 = x1.fma(b, a01);
            a02 = x2.fma(b, a02);
            a03 = x3.fma(b, a03);
            b = FloatVector.broadcast(FLOATS, w[w1 + j]);
            a10 = x0.fma(b, a10);
            a11 = x1.fma(b, a11);
            a12 = x2.fma(b, a12);
            a13 = x3.fma(b, a13);
            b = FloatVector.broadcast(FLOATS, w[w2 + j]);
            a20 = x0.fma(b, a20);
            a21 = x1.fma(b, a21);
            a22 = x2.fma(b, a22);
            a23 = x3.fma(b, a23);
            b = FloatVector.broadcast(FLOATS, w[w3 + j]);
            a30 = x0.fma(b, a30);
            a31 = x1.fma(b, a31);
            a32 = x2.fma(b, a32);
            a33 = x3.fma(b, a33);
            b = FloatVector.broadcast(FLOATS, w[w4 + j]);
            a40 = x0.fma(b, a40);
            a41 = x1.fma(b, a41);
            a42 = x2.fma(b, a42);
            a43 = x3.fma(b, a43);
            b = FloatVector.broadcast(FLOATS, w[w5 + j]);
            a50 = x0.fma(b, a50);
            a51 = x1.fma(b, a51);
            a52 = x2.fma(b, a52);
            a53 = x3.fma(b, a53);
        }
        int r0 = accOffset;
        int r1 = r0 + width;
        int r2 = r1 + width;
        int r3 = r2 + width;
        int r4 = r3 + width;
        int r5 = r4 + width;
        a00.add(FloatVector.fromArray(FLOATS, acc, r0)).intoArray(acc, r0);
        a01.add(FloatVector.fromArray(FLOATS, acc, r0 + COUNT)).intoArray(acc, r0 + COUNT);
        a02.add(FloatVector.fromArray(FLOATS, acc, r0 + 2 * COUNT)).intoArray(acc, r0 + 2 * COUNT);
        a03.add(FloatVector.fromArray(FLOATS, acc, r0 + 3 * COUNT)).intoArray(acc, r0 + 3 * COUNT);
        a10.add(FloatVector.fromArray(FLOATS, acc, r1)).intoArray(acc, r1);
        a11.add(FloatVector.fromArray(FLOATS, acc, r1 + COUNT)).intoArray(acc, r1 + COUNT);
        a12.add(FloatVector.fromArray(FLOATS, acc, r1 + 2 * COUNT)).intoArray(acc, r1 + 2 * COUNT);
        a13.add(FloatVector.fromArray(FLOATS, acc, r1 + 3 * COUNT)).intoArray(acc, r1 + 3 * COUNT);
        a20.add(FloatVector.fromArray(FLOATS, acc, r2)).intoArray(acc, r2);
        a21.add(FloatVector.fromArray(FLOATS, acc, r2 + COUNT)).intoArray(acc, r2 + COUNT);
        a22.add(FloatVector.fromArray(FLOATS, acc, r2 + 2 * COUNT)).intoArray(acc, r2 + 2 * COUNT);
        a23.add(FloatVector.fromArray(FLOATS, acc, r2 + 3 * COUNT)).intoArray(acc, r2 + 3 * COUNT);
        a30.add(FloatVector.fromArray(FLOATS, acc, r3)).intoArray(acc, r3);
        a31.add(FloatVector.fromArray(FLOATS, acc, r3 + COUNT)).intoArray(acc, r3 + COUNT);
        a32.add(FloatVector.fromArray(FLOATS, acc, r3 + 2 * COUNT)).intoArray(acc, r3 + 2 * COUNT);
        a33.add(FloatVector.fromArray(FLOATS, acc, r3 + 3 * COUNT)).intoArray(acc, r3 + 3 * COUNT);
        a40.add(FloatVector.fromArray(FLOATS, acc, r4)).intoArray(acc, r4);
        a41.add(FloatVector.fromArray(FLOATS, acc, r4 + COUNT)).intoArray(acc, r4 + COUNT);
        a42.add(FloatVector.fromArray(FLOATS, acc, r4 + 2 * COUNT)).intoArray(acc, r4 + 2 * COUNT);
        a43.add(FloatVector.fromArray(FLOATS, acc, r4 + 3 * COUNT)).intoArray(acc, r4 + 3 * COUNT);
        a50.add(FloatVector.fromArray(FLOATS, acc, r5)).intoArray(acc, r5);
        a51.add(FloatVector.fromArray(FLOATS, acc, r5 + COUNT)).intoArray(acc, r5 + COUNT);
        a52.add(FloatVector.fromArray(FLOATS, acc, r5 + 2 * COUNT)).intoArray(acc, r5 + 2 * COUNT);
        a53.add(FloatVector.fromArray(FLOATS, acc, r5 + 3 * COUNT)).intoArray(acc, r5 + 3 * COUNT);
    }

    /** {@link #add6x4} for one token vector: v = 0 only. */
    static void add6x1(float[] w, int wOffset, int wStride, float[] xT, int xOffset, int width, int length,
            float[] acc, int accOffset) {
        FloatVector a0 = FloatVector.zero(FLOATS);
        FloatVector a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
        int w0 = wOffset;
        int w1 = w0 + wStride;
        int w2 = w1 + wStride;
        int w3 = w2 + wStride;
        int w4 = w3 + wStride;
        int w5 = w4 + wStride;
        int column = xOffset;
        for (int j = 0; j < length; j++, column += width) {
            FloatVector x0 = FloatVector.fromArray(FLOATS, xT, column);
            a0 = x0.fma(FloatVector.broadcast(FLOATS, w[w0 + j]), a0);
            a1 = x0.fma(FloatVector.broadcast(FLOATS, w[w1 + j]), a1);
            a2 = x0.fma(FloatVector.broadcast(FLOATS, w[w2 + j]), a2);
            a3 = x0.fma(FloatVector.broadcast(FLOATS, w[w3 + j]), a3);
            a4 = x0.fma(FloatVector.broadcast(FLOATS, w[w4 + j]), a4);
            a5 = x0.fma(FloatVector.broadcast(FLOATS, w[w5 + j]), a5);
        }
        int r0 = accOffset;
        int r1 = r0 + width;
        int r2 = r1 + width;
        int r3 = r2 + width;
        int r4 = r3 + width;
        int r5 = r4 + width;
        a0.add(FloatVector.fromArray(FLOATS, acc, r0)).intoArray(acc, r0);
        a1.add(FloatVector.fromArray(FLOATS, acc, r1)).intoArray(acc, r1);
        a2.add(FloatVector.fromArray(FLOATS, acc, r2)).intoArray(acc, r2);
        a3.add(FloatVector.fromArray(FLOATS, acc, r3)).intoArray(acc, r3);
        a4.add(FloatVector.fromArray(FLOATS, acc, r4)).intoArray(acc, r4);
        a5.add(FloatVector.fromArray(FLOATS, acc, r5)).intoArray(acc, r5);
    }

    /**
     * For the 4 tokens t in [0, 4): {@code acc[accOffset + t * COUNT + lane] += sum over vectors v of
     * w[wOffset + v * COUNT + lane] * x[xOffset + t * xStride + v * COUNT + lane]} over {@code length} columns (a
     * multiple of 2 * COUNT): one row of decoded weights times 4 tokens' activations, each weight vector loaded once
     * for the 4. Two accumulators per token (even and odd vectors), so 8 independent FMA chains hide the latency.
     */
    public static void addRowTo4Tokens(float[] w, int wOffset, float[] x, int xOffset, int xStride, int length,
            float[] acc, int accOffset) {
        FloatVector even0 = FloatVector.zero(FLOATS);
        FloatVector even1 = even0, even2 = even0, even3 = even0;
        FloatVector odd0 = even0, odd1 = even0, odd2 = even0, odd3 = even0;
        int x0 = xOffset;
        int x1 = x0 + xStride;
        int x2 = x1 + xStride;
        int x3 = x2 + xStride;
        for (int j = 0; j < length; j += 2 * COUNT) {
            FloatVector evenWeights = FloatVector.fromArray(FLOATS, w, wOffset + j);
            FloatVector oddWeights = FloatVector.fromArray(FLOATS, w, wOffset + j + COUNT);
            even0 = evenWeights.fma(FloatVector.fromArray(FLOATS, x, x0 + j), even0);
            odd0 = oddWeights.fma(FloatVector.fromArray(FLOATS, x, x0 + j + COUNT), odd0);
            even1 = evenWeights.fma(FloatVector.fromArray(FLOATS, x, x1 + j), even1);
            odd1 = oddWeights.fma(FloatVector.fromArray(FLOATS, x, x1 + j + COUNT), odd1);
            even2 = evenWeights.fma(FloatVector.fromArray(FLOATS, x, x2 + j), even2);
            odd2 = oddWeights.fma(FloatVector.fromArray(FLOATS, x, x2 + j + COUNT), odd2);
            even3 = evenWeights.fma(FloatVector.fromArray(FLOATS, x, x3 + j), even3);
            odd3 = oddWeights.fma(FloatVector.fromArray(FLOATS, x, x3 + j + COUNT), odd3);
        }
        even0.add(odd0).add(FloatVector.fromArray(FLOATS, acc, accOffset)).intoArray(acc, accOffset);
        even1.add(odd1).add(FloatVector.fromArray(FLOATS, acc, accOffset + COUNT)).intoArray(acc, accOffset + COUNT);
        even2.add(odd2).add(FloatVector.fromArray(FLOATS, acc, accOffset + 2 * COUNT))
                .intoArray(acc, accOffset + 2 * COUNT);
        even3.add(odd3).add(FloatVector.fromArray(FLOATS, acc, accOffset + 3 * COUNT))
                .intoArray(acc, accOffset + 3 * COUNT);
    }

    /** {@link #addRowTo4Tokens} for one token: {@code acc[accOffset + lane] += ...}. */
    public static void addRowTo1Token(float[] w, int wOffset, float[] x, int xOffset, int length, float[] acc,
            int accOffset) {
        FloatVector even = FloatVector.zero(FLOATS);
        FloatVector odd = even;
        for (int j = 0; j < length; j += 2 * COUNT) {
            even = FloatVector.fromArray(FLOATS, w, wOffset + j)
                    .fma(FloatVector.fromArray(FLOATS, x, xOffset + j), even);
            odd = FloatVector.fromArray(FLOATS, w, wOffset + j + COUNT)
                    .fma(FloatVector.fromArray(FLOATS, x, xOffset + j + COUNT), odd);
        }
        even.add(odd).add(FloatVector.fromArray(FLOATS, acc, accOffset)).intoArray(acc, accOffset);
    }
}
