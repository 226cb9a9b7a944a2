package dev.ggufserve.engine.cpu;

import dev.ggufserve.tensor.Lanes;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** Vector API helpers for the float activations of the forward pass (attention, norms). */
final class VectorMath {

    private static final VectorSpecies<Float> SPECIES = Lanes.FLOATS;

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
        float result = Lanes.sum(sum);
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
     * RMSNorm of {@code x[offset, offset + length)} into the same range of {@code out}:
     * {@code out = x / sqrt(mean(x^2) + epsilon) * weight}. The mean is summed in double, as ggml does, so long rows
     * do not lose precision.
     */
    static void rmsNorm(float[] out, float[] x, int offset, int length, float[] weight, float epsilon) {
        double sumOfSquares = 0;
        for (int i = 0; i < length; i++) {
            float value = x[offset + i];
            sumOfSquares += (double) value * value;
        }
        float scale = (float) (1.0 / Math.sqrt(sumOfSquares / length + epsilon));
        for (int i = 0; i < length; i++) {
            out[offset + i] = x[offset + i] * scale * weight[i];
        }
    }

    /** {@code target[i] += addend[i]} for i in [0, length). */
    static void addInto(float[] target, float[] addend, int length) {
        int i = 0;
        int upper = SPECIES.loopBound(length);
        for (; i < upper; i += SPECIES.length()) {
            FloatVector.fromArray(SPECIES, target, i).add(FloatVector.fromArray(SPECIES, addend, i))
                    .intoArray(target, i);
        }
        for (; i < length; i++) {
            target[i] += addend[i];
        }
    }

    /**
     * SwiGLU: {@code out[outOffset + i] = silu(gate_i) * up_i} with silu(g) = g / (1 + e^-g), where the gate half
     * is {@code gateUp[offset, offset + ff)} and the up half the {@code ff} values after it.
     */
    static void swiGlu(float[] out, int outOffset, float[] gateUp, int offset, int ff) {
        for (int i = 0; i < ff; i++) {
            float gate = gateUp[offset + i];
            out[outOffset + i] = gate / (1f + (float) Math.exp(-gate)) * gateUp[offset + ff + i];
        }
    }
}
