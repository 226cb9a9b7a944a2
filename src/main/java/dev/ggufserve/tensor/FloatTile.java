package dev.ggufserve.tensor;

import static dev.ggufserve.tensor.Lanes.COUNT;
import static dev.ggufserve.tensor.Lanes.FLOATS;

import jdk.incubator.vector.FloatVector;

/**
 * The float micro-kernel of {@link WeightMatrix#matMul}: dot products of {@link #ROWS} dequantized weight rows with
 * {@link #TOKENS} activation rows at once. Each weight vector loaded is used for 4 tokens and each activation vector
 * for 4 rows, so the 16 FMAs of a step need only 8 loads and the loop runs at the FMA units' rate (about 90 GMAC/s
 * per Zen 4 core, against about 20 for one row at a time, which waits on the latency of its single FMA chain).
 *
 * <p>The 16 accumulators are spelled out as locals so C2 keeps them in registers (32 zmm on AVX-512).
 */
final class FloatTile {

    static final int ROWS = 4;
    static final int TOKENS = 4;
    /** Scratch floats add4x4 needs to sum its accumulators' lanes. */
    static final int LANES_SCRATCH = ROWS * TOKENS * COUNT;

    private FloatTile() {
    }

    /**
     * For r, t in [0, 4): {@code out[outOffset + t * outStride + r] += sum_j w[wOffset + r * length + j] *
     * x[xOffset + t * xStride + j]}, for j in [0, length); length is a multiple of {@link Lanes#COUNT}.
     * {@code lanes} from {@code lanesOffset} is scratch for {@link #LANES_SCRATCH} floats.
     */
    static void add4x4(float[] w, int wOffset, int length, float[] x, int xOffset, int xStride,
            float[] out, int outOffset, int outStride, float[] lanes, int lanesOffset) {
        FloatVector a00 = FloatVector.zero(FLOATS);
        FloatVector a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        int w0 = wOffset;
        int w1 = w0 + length;
        int w2 = w1 + length;
        int w3 = w2 + length;
        int x0 = xOffset;
        int x1 = x0 + xStride;
        int x2 = x1 + xStride;
        int x3 = x2 + xStride;
        for (int j = 0; j < length; j += COUNT) {
            FloatVector t0 = FloatVector.fromArray(FLOATS, x, x0 + j);
            FloatVector t1 = FloatVector.fromArray(FLOATS, x, x1 + j);
            FloatVector t2 = FloatVector.fromArray(FLOATS, x, x2 + j);
            FloatVector t3 = FloatVector.fromArray(FLOATS, x, x3 + j);
            FloatVector r = FloatVector.fromArray(FLOATS, w, w0 + j);
            a00 = r.fma(t0, a00);
            a01 = r.fma(t1, a01);
            a02 = r.fma(t2, a02);
            a03 = r.fma(t3, a03);
            r = FloatVector.fromArray(FLOATS, w, w1 + j);
            a10 = r.fma(t0, a10);
            a11 = r.fma(t1, a11);
            a12 = r.fma(t2, a12);
            a13 = r.fma(t3, a13);
            r = FloatVector.fromArray(FLOATS, w, w2 + j);
            a20 = r.fma(t0, a20);
            a21 = r.fma(t1, a21);
            a22 = r.fma(t2, a22);
            a23 = r.fma(t3, a23);
            r = FloatVector.fromArray(FLOATS, w, w3 + j);
            a30 = r.fma(t0, a30);
            a31 = r.fma(t1, a31);
            a32 = r.fma(t2, a32);
            a33 = r.fma(t3, a33);
        }
        // Lane sums in a fixed order (see Lanes#sum), scalar: 16 calls of a vector helper here would not all be
        // inlined, and a vector passed to a call that is not inlined is boxed.
        a00.intoArray(lanes, lanesOffset);
        a01.intoArray(lanes, lanesOffset + COUNT);
        a02.intoArray(lanes, lanesOffset + 2 * COUNT);
        a03.intoArray(lanes, lanesOffset + 3 * COUNT);
        a10.intoArray(lanes, lanesOffset + 4 * COUNT);
        a11.intoArray(lanes, lanesOffset + 5 * COUNT);
        a12.intoArray(lanes, lanesOffset + 6 * COUNT);
        a13.intoArray(lanes, lanesOffset + 7 * COUNT);
        a20.intoArray(lanes, lanesOffset + 8 * COUNT);
        a21.intoArray(lanes, lanesOffset + 9 * COUNT);
        a22.intoArray(lanes, lanesOffset + 10 * COUNT);
        a23.intoArray(lanes, lanesOffset + 11 * COUNT);
        a30.intoArray(lanes, lanesOffset + 12 * COUNT);
        a31.intoArray(lanes, lanesOffset + 13 * COUNT);
        a32.intoArray(lanes, lanesOffset + 14 * COUNT);
        a33.intoArray(lanes, lanesOffset + 15 * COUNT);
        for (int row = 0; row < ROWS; row++) {
            for (int token = 0; token < TOKENS; token++) {
                int first = lanesOffset + (row * TOKENS + token) * COUNT;
                float sum = 0;
                for (int lane = 0; lane < COUNT; lane++) {
                    sum += lanes[first + lane];
                }
                out[outOffset + token * outStride + row] += sum;
            }
        }
    }

    /** One row with one token: {@code sum_j w[wOffset + j] * x[xOffset + j]} for j in [0, length). */
    static float dot(float[] w, int wOffset, float[] x, int xOffset, int length) {
        FloatVector first = FloatVector.zero(FLOATS);
        FloatVector second = FloatVector.zero(FLOATS);
        int j = 0;
        for (; j + 2 * COUNT <= length; j += 2 * COUNT) {
            first = FloatVector.fromArray(FLOATS, w, wOffset + j).fma(FloatVector.fromArray(FLOATS, x, xOffset + j), first);
            second = FloatVector.fromArray(FLOATS, w, wOffset + j + COUNT)
                    .fma(FloatVector.fromArray(FLOATS, x, xOffset + j + COUNT), second);
        }
        for (; j + COUNT <= length; j += COUNT) {
            first = FloatVector.fromArray(FLOATS, w, wOffset + j).fma(FloatVector.fromArray(FLOATS, x, xOffset + j), first);
        }
        float sum = Lanes.sum(first.add(second));
        for (; j < length; j++) {
            sum += w[wOffset + j] * x[xOffset + j];
        }
        return sum;
    }
}
