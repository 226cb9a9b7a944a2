package dev.ggufserve.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.ggufserve.gguf.GgmlType;
import dev.ggufserve.gguf.GgufTensor;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

class TensorsTest {

    @Test
    void readsOneDimensionalF32() {
        float[] stored = {0.5f, -1f, 3f};
        GgufTensor norm = new GgufTensor("norm", new long[] {3}, GgmlType.F32, MemorySegment.ofArray(stored));

        assertArrayEquals(stored, Tensors.toFloatArray(norm));
    }

    @Test
    void readsOneDimensionalF16() {
        short[] halves = {0x3C00, (short) 0xC000, 0x3800}; // 1, -2, 0.5
        GgufTensor norm = new GgufTensor("norm", new long[] {3}, GgmlType.F16, MemorySegment.ofArray(halves));

        assertArrayEquals(new float[] {1f, -2f, 0.5f}, Tensors.toFloatArray(norm));
    }

    @Test
    void readsOneDimensionalBF16() {
        short[] bfloat16s = {0x3F80, (short) 0xC040}; // 1, -3
        GgufTensor factors = new GgufTensor("rope", new long[] {2}, GgmlType.BF16, MemorySegment.ofArray(bfloat16s));

        assertArrayEquals(new float[] {1f, -3f}, Tensors.toFloatArray(factors));
    }

    @Test
    void readsEveryElementOfAMatrixInStorageOrder() {
        float[] stored = {1, 2, 3, 4, 5, 6};
        GgufTensor matrix = new GgufTensor("w", new long[] {3, 2}, GgmlType.F32, MemorySegment.ofArray(stored));

        assertArrayEquals(stored, Tensors.toFloatArray(matrix));
    }
}
