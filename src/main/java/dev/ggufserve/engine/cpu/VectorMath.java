package dev.ggufserve.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Vector API helpers for the float activations of the forward pass (attention, norms). */
final class VectorMath {

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

    private VectorMath() {
    }

    /** Sum of {@code a[aOffset + i] * b[bOffset + i]} for i in [0, length). */
    static float dot(float[] a, int aOffset, float[] b, int bOffset, int length) {
        FloatVector sum = FloatVector.zero(SPECIES);
        int i = 0;
        int upper = SPECIES.loopBound(length);
        for (; i < upper; i += SPECIES.length()) {
            sum = FloatVector.fromArray(SPECIES, a, aOffset + i)
                    .fma(FloatVector.fromArray(SPECIES, b, bOffset + i), sum);
        }
        float result = sum.reduceLanes(VectorOperators.ADD);
        for (; i < length; i++) {
            result += a[aOffset + i] * b[bOffset + i];
        }
        return result;
    }

    /** {@code target[targetOffset + i] += scale * source[sourceOffset + i]} for i in [0, length). */
    static void addScaled(float[] target, int targetOffset, float[] source, int sourceOffset, float scale,
            int length) {
        FloatVector scaleVector = FloatVector.broadcast(SPECIES, scale);
        int i = 0;
        int upper = SPECIES.loopBound(length);
        for (; i < upper; i += SPECIES.length()) {
            FloatVector.fromArray(SPECIES, source, sourceOffset + i)
                    .fma(scaleVector, FloatVector.fromArray(SPECIES, target, targetOffset + i))
                    .intoArray(target, targetOffset + i);
        }
        for (; i < length; i++) {
            target[targetOffset + i] += scale * source[sourceOffset + i];
        }
    }

    /**
     * RMSNorm: {@code out = x / sqrt(mean(x^2) + epsilon) * weight}. The mean is summed in double, as
     * ggml does, so long rows do not lose precision.
     */
    static void rmsNorm(float[] out, float[] x, float[] weight, float epsilon) {
        double sumOfSquares = 0;
        for (float value : x) {
            sumOfSquares += (double) value * value;
        }
        float scale = (float) (1.0 / Math.sqrt(sumOfSquares / x.length + epsilon));
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] * scale * weight[i];
        }
    }
}
