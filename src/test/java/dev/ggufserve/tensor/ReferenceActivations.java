package dev.ggufserve.tensor;

import dev.ggufserve.gguf.GgmlType;

/**
 * The activations as a weight type's kernels multiply them, in double precision: for the K-quants, x quantized to
 * int8 per 256 values as llama.cpp's {@code quantize_row_q8_K_ref} does (written here independently of
 * {@link Int8Activations}, from ggml-quants.c); for the other types, x itself.
 */
final class ReferenceActivations {

    private ReferenceActivations() {
    }

    static boolean quantizesActivations(GgmlType type) {
        return type == GgmlType.Q4_K || type == GgmlType.Q5_K || type == GgmlType.Q6_K;
    }

    static double[] of(GgmlType type, float[] x, int offset, int length) {
        double[] values = new double[length];
        if (!quantizesActivations(type)) {
            for (int j = 0; j < length; j++) {
                values[j] = x[offset + j];
            }
            return values;
        }
        for (int block = 0; block < length / 256; block++) {
            float max = 0;
            float amax = 0;
            for (int j = 0; j < 256; j++) {
                float ax = Math.abs(x[offset + block * 256 + j]);
                if (ax > amax) {
                    amax = ax;
                    max = x[offset + block * 256 + j];
                }
            }
            if (amax == 0) {
                continue;
            }
            float iscale = -127f / max;
            float d = 1 / iscale;
            for (int j = 0; j < 256; j++) {
                float scaled = iscale * x[offset + block * 256 + j];
                // ggml's nearest_int: round half to even
                long q = Math.round(scaled);
                if (scaled - Math.floor(scaled) == 0.5 && (q & 1) != 0) {
                    q -= 1;
                }
                values[block * 256 + j] = (double) d * Math.min(127, q);
            }
        }
        return values;
    }
}
