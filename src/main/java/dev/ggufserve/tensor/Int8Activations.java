package dev.ggufserve.tensor;

/**
 * An activation vector quantized to 8 bits per 256 values, as llama.cpp's {@code block_q8_K}
 * ({@code quantize_row_q8_K_ref} in ggml-quants.c): per block, {@code iscale = -127 / max} where max is the value of
 * largest magnitude (sign kept), each quant {@code min(127, nearest_int(iscale * x))}, and the block scale
 * {@code d = 1 / iscale}; a block of zeros has d = 0 and zero quants. llama.cpp's CPU backend multiplies Q4_K, Q5_K
 * and Q6_K weights with activations quantized this way (their {@code vec_dot_type} is Q8_K), so our K-quant kernels
 * do the same: their results then differ from llama.cpp's only by float rounding, not by a different quantization of
 * x, and the weight-times-activation products are exact integers (see {@link Q4KMatrix#dotRowInt8}).
 *
 * <p>The quants are stored widened to 16 bits, because the kernels multiply them in 16-bit lanes and a plain
 * {@code short[]} load is free where a byte load would need a widening instruction per vector. Also kept: for
 * Q4_K/Q5_K's min term, each block's 8 sums of 32 quants (llama.cpp's bsums, per 16 there) as floats in
 * {@link KQuantScales#SUMS_STRIDE}-wide rows, so one vector load gets a block's 8.
 *
 * <p>One instance per thread ({@link #forThread}), refilled by each {@link WeightMatrix#matVec} or
 * {@link WeightMatrix#matMul} call: the quantization costs one pass over x (3072 or 8192 values) per call, against
 * thousands of rows that each read all of it.
 */
final class Int8Activations {

    static final int BLOCK = 256;
    private static final int SUMS_PER_BLOCK = 8;
    private static final int SUM_GROUP = BLOCK / SUMS_PER_BLOCK;

    private static final ThreadLocal<Int8Activations> PER_THREAD = ThreadLocal.withInitial(Int8Activations::new);

    /** The quants, one per value, each in [-128, 127]. */
    short[] quants = new short[0];
    /** Per block: the scale d (value = d * quant). */
    float[] scales = new float[0];
    /** Per block, {@link KQuantScales#SUMS_STRIDE} floats: the sums of its 8 groups of 32 quants, then zeros. */
    float[] groupSums = new float[0];

    private Int8Activations() {
    }

    /** This thread's instance; its contents change with every {@link #quantize} on this thread. */
    static Int8Activations forThread() {
        return PER_THREAD.get();
    }

    /** Quantizes {@code x[xOffset ... xOffset + length)}; {@code length} is a multiple of {@link #BLOCK}. */
    Int8Activations quantize(float[] x, int xOffset, int length) {
        int blocks = length / BLOCK;
        if (quants.length < length) {
            quants = new short[length];
        }
        if (scales.length < blocks) {
            scales = new float[blocks];
            groupSums = new float[blocks * KQuantScales.SUMS_STRIDE];
        }
        for (int block = 0; block < blocks; block++) {
            int start = xOffset + block * BLOCK;
            float largest = 0f;
            float largestMagnitude = 0f;
            for (int i = 0; i < BLOCK; i++) {
                float magnitude = Math.abs(x[start + i]);
                if (magnitude > largestMagnitude) {
                    largestMagnitude = magnitude;
                    largest = x[start + i];
                }
            }
            int out = block * BLOCK;
            int sums = block * KQuantScales.SUMS_STRIDE;
            if (largestMagnitude == 0f) {
                java.util.Arrays.fill(quants, out, out + BLOCK, (short) 0);
                java.util.Arrays.fill(groupSums, sums, sums + KQuantScales.SUMS_STRIDE, 0f);
                scales[block] = 0f;
                continue;
            }
            float inverseScale = -127f / largest;
            for (int i = 0; i < BLOCK; i++) {
                // Math.rint rounds half to even, as ggml's nearest_int (the 1.5 * 2^23 trick) does
                quants[out + i] = (short) Math.min(127, (int) Math.rint(inverseScale * x[start + i]));
            }
            for (int group = 0; group < KQuantScales.SUMS_STRIDE; group++) {
                int sum = 0;
                if (group < SUMS_PER_BLOCK) {
                    for (int i = 0; i < SUM_GROUP; i++) {
                        sum += quants[out + group * SUM_GROUP + i];
                    }
                }
                groupSums[sums + group] = sum;
            }
            scales[block] = 1f / inverseScale;
        }
        return this;
    }

    /**
     * Writes the quantized values back as floats, {@code d * quant}, to {@code out[outOffset + j * outStride]} for
     * the first {@code length} values: the activations as the int8 kernels see them, for kernels that multiply in
     * floats ({@link WeightMatrix#matMul}), so a prompt's tokens round the same way whichever kernel runs them.
     */
    void dequantize(int length, float[] out, int outOffset, int outStride) {
        for (int j = 0; j < length; j++) {
            out[outOffset + j * outStride] = scales[j / BLOCK] * quants[j];
        }
    }
}
