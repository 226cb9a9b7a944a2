package dev.ggufserve.tensor;

import dev.ggufserve.gguf.GgmlType;
import java.lang.foreign.MemorySegment;

/**
 * The K-quant types (Q4_K, Q5_K, Q6_K: 256-weight super-blocks), whose dot products run on activations quantized to
 * int8 per 256 values ({@link Int8Activations}), as llama.cpp's CPU backend does for them: the weight-times-activation
 * products are then small integers, summed exactly in 16- and 32-bit lanes, and only each sub-block's sum is scaled
 * in floats. That takes the per-weight integer-to-float conversions, which bound the float kernels, out of the inner
 * loop. {@link WeightMatrix#matMul} rounds its activations the same way ({@link Int8Activations#dequantize}), so a
 * token gives the same result, up to float rounding, whichever kernel computes it.
 */
abstract sealed class KQuantMatrix extends WeightMatrix permits Q4KMatrix, Q5KMatrix, Q6KMatrix {

    KQuantMatrix(MemorySegment segment, GgmlType type, int rows, int cols) {
        super(segment, type, rows, cols);
    }

    /** Quantizes x for this row alone; {@link #matVec} quantizes once for all its rows. */
    @Override
    final float dotRow(long rowOffset, float[] x, int xOffset) {
        return dotRowInt8(rowOffset, Int8Activations.forThread().quantize(x, xOffset, cols()));
    }

    /** The dot product of the row starting at byte {@code rowOffset} with the quantized activations {@code x}. */
    abstract float dotRowInt8(long rowOffset, Int8Activations x);
}
