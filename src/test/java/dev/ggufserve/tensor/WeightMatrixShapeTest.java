package dev.ggufserve.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.ggufserve.gguf.GgmlType;
import dev.ggufserve.gguf.GgufTensor;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** How a GGUF tensor's dims become rows and columns, and which shapes and indices are refused. */
class WeightMatrixShapeTest {

    @Test
    void ggufDimsAreColumnsThenRows() {
        float[] stored = {1, 2, 3, 4, 5, 6};
        GgufTensor tensor = new GgufTensor("w", new long[] {3, 2}, GgmlType.F32, MemorySegment.ofArray(stored));

        WeightMatrix matrix = WeightMatrix.of(tensor);

        assertEquals(2, matrix.rows());
        assertEquals(3, matrix.cols());
        assertEquals(GgmlType.F32, matrix.type());
        float[] secondRow = new float[3];
        matrix.dequantizeRow(1, secondRow, 0);
        assertArrayEquals(new float[] {4, 5, 6}, secondRow);
        assertEquals(4 * 1 + 5 * 10 + 6 * 100, matrix.dot(1, new float[] {1, 10, 100}, 0));
    }

    @Test
    void refusesTensorsThatAreNotTwoDimensional() {
        GgufTensor tensor = new GgufTensor("w", new long[] {2, 2, 2}, GgmlType.F32, MemorySegment.ofArray(new float[8]));

        assertThrows(IllegalArgumentException.class, () -> WeightMatrix.of(tensor));
    }

    @Test
    void refusesRowsThatAreNotWholeBlocks() {
        MemorySegment segment = MemorySegment.ofArray(new byte[144]);

        assertThrows(IllegalArgumentException.class, () -> WeightMatrix.of(segment, GgmlType.Q4_K, 1, 128));
    }

    @Test
    void refusesSegmentsOfTheWrongSize() {
        MemorySegment oneBlockTooMany = MemorySegment.ofArray(new byte[3 * 34]);

        assertThrows(IllegalArgumentException.class, () -> WeightMatrix.of(oneBlockTooMany, GgmlType.Q8_0, 2, 32));
    }

    @Test
    void checksRowAndVectorIndices() {
        WeightMatrix matrix = WeightMatrix.of(MemorySegment.ofArray(new byte[2 * 34]), GgmlType.Q8_0, 2, 32);
        float[] x = new float[32];
        float[] out = new float[2];

        assertThrows(IndexOutOfBoundsException.class, () -> matrix.dot(2, x, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> matrix.dot(0, x, 1));
        assertThrows(IndexOutOfBoundsException.class, () -> matrix.dequantizeRow(0, new float[31], 0));
        assertThrows(IndexOutOfBoundsException.class, () -> matrix.matVec(x, 0, out, 0, 1, 3));
        assertThrows(IndexOutOfBoundsException.class, () -> matrix.matVec(x, 0, out, 1, 0, 2));
    }

    @Test
    void firstRowsAreTheSameWeights() {
        int cols = 512;
        WeightMatrix matrix = WeightMatrix.of(MemorySegment.ofArray(RandomWeights.bytes(GgmlType.Q4_K, 5 * cols,
                new Random(7))), GgmlType.Q4_K, 5, cols);

        WeightMatrix first = matrix.firstRows(3);

        assertEquals(3, first.rows());
        assertEquals(cols, first.cols());
        assertEquals(GgmlType.Q4_K, first.type());
        float[] x = RandomWeights.floats(cols, new Random(8));
        for (int row = 0; row < 3; row++) {
            assertEquals(matrix.dot(row, x, 0), first.dot(row, x, 0));
        }
        assertThrows(IndexOutOfBoundsException.class, () -> first.dot(3, x, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> matrix.firstRows(6));
    }
}
