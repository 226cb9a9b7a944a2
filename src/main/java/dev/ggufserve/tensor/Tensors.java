package dev.ggufserve.tensor;

import dev.ggufserve.gguf.GgufTensor;

/** Whole-tensor helpers. */
public final class Tensors {

    private Tensors() {
    }

    /**
     * Decodes every weight of {@code tensor} (any supported type, any number of dims, in storage order) into
     * a new array: meant for small 1-D tensors such as norm weights and rope factors.
     */
    public static float[] toFloatArray(GgufTensor tensor) {
        int count = Math.toIntExact(tensor.elementCount());
        float[] values = new float[count];
        WeightMatrix.of(tensor.data(), tensor.type(), 1, count).dequantizeRow(0, values, 0);
        return values;
    }
}
