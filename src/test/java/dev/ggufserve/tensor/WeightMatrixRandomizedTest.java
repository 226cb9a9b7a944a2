package dev.ggufserve.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ggufserve.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every type on random blocks: dequantizeRow against {@link ReferenceDequantizer}, and dot / matVec against a
 * double-precision sum over the reference weights. Rows span several blocks; x and out are read and written
 * at offsets. The weights live in native memory, as a memory-mapped file's do.
 */
class WeightMatrixRandomizedTest {

    private static final int ROWS = 5;
    /** Padding around x and out, so offsets are exercised. */
    private static final int X_OFFSET = 7;
    private static final int OUT_OFFSET = 3;

    /** Columns: three blocks of the quantized types; for plain floats an odd count, to reach the scalar tail. */
    private static int columns(GgmlType type) {
        return type.blockSize() == 1 ? 3 * 64 + 13 : 3 * type.blockSize();
    }

    @ParameterizedTest
    @EnumSource(GgmlType.class)
    void dequantizeRowMatchesReference(GgmlType type) {
        int cols = columns(type);
        Random random = new Random(11 + type.id());
        byte[] bytes = RandomWeights.bytes(type, ROWS * cols, random);
        double[] reference = ReferenceDequantizer.dequantize(bytes, type, ROWS * cols);
        try (Arena arena = Arena.ofConfined()) {
            WeightMatrix matrix = WeightMatrix.of(copyToNative(arena, bytes), type, ROWS, cols);
            float[] row = new float[OUT_OFFSET + cols];
            for (int r = 0; r < ROWS; r++) {
                matrix.dequantizeRow(r, row, OUT_OFFSET);
                double largest = 0;
                for (int j = 0; j < cols; j++) {
                    largest = Math.max(largest, Math.abs(reference[r * cols + j]));
                }
                for (int j = 0; j < cols; j++) {
                    assertEquals(reference[r * cols + j], row[OUT_OFFSET + j], 1e-6 * largest,
                            type + " row " + r + " weight " + j);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(GgmlType.class)
    void dotAndMatVecMatchDoublePrecisionSum(GgmlType type) {
        int cols = columns(type);
        Random random = new Random(29 + type.id());
        byte[] bytes = RandomWeights.bytes(type, ROWS * cols, random);
        double[] reference = ReferenceDequantizer.dequantize(bytes, type, ROWS * cols);
        float[] x = RandomWeights.floats(X_OFFSET + cols + 5, random);
        try (Arena arena = Arena.ofConfined()) {
            WeightMatrix matrix = WeightMatrix.of(copyToNative(arena, bytes), type, ROWS, cols);
            float[] out = new float[OUT_OFFSET + ROWS];
            Arrays.fill(out, Float.NaN);
            matrix.matVec(x, X_OFFSET, out, OUT_OFFSET, 1, 4);
            for (int r = 0; r < ROWS; r++) {
                double exact = 0;
                double magnitude = 0;
                for (int j = 0; j < cols; j++) {
                    double term = reference[r * cols + j] * x[X_OFFSET + j];
                    exact += term;
                    magnitude += Math.abs(term);
                }
                assertTrue(magnitude > 0, "the random row has non-zero terms");
                float dot = matrix.dot(r, x, X_OFFSET);
                assertEquals(exact, dot, 1e-5 * magnitude, type + " dot of row " + r);
                if (r >= 1 && r < 4) {
                    // Not bit-equal to dot: the interpreted and the C2-compiled Vector API reduce lanes in
                    // different orders, and the two calls may run in different states of the JIT.
                    assertEquals(exact, out[OUT_OFFSET + r], 1e-5 * magnitude, type + " matVec row " + r);
                } else {
                    assertTrue(Float.isNaN(out[OUT_OFFSET + r]), "matVec wrote row " + r + " outside [1, 4)");
                }
            }
        }
    }

    /**
     * The same check repeated until the kernel runs compiled by C2: the Vector API's interpreted fallback and
     * its C2 intrinsics are separate code, and only the compiled one matters in serving.
     */
    @ParameterizedTest
    @EnumSource(GgmlType.class)
    void dotStaysAccurateOnceCompiled(GgmlType type) {
        int rows = 32;
        int cols = type.blockSize() == 1 ? 1024 + 5 : 1024;
        int passes = 300;
        Random random = new Random(43 + type.id());
        byte[] bytes = RandomWeights.bytes(type, rows * cols, random);
        double[] reference = ReferenceDequantizer.dequantize(bytes, type, rows * cols);
        float[] x = RandomWeights.floats(cols, random);
        double[] exact = new double[rows];
        double[] tolerance = new double[rows];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < cols; j++) {
                double term = reference[r * cols + j] * x[j];
                exact[r] += term;
                tolerance[r] += 1e-5 * Math.abs(term);
            }
        }
        try (Arena arena = Arena.ofConfined()) {
            WeightMatrix matrix = WeightMatrix.of(copyToNative(arena, bytes), type, rows, cols);
            float[] out = new float[rows];
            for (int pass = 0; pass < passes; pass++) {
                matrix.matVec(x, 0, out, 0, 0, rows);
                for (int r = 0; r < rows; r++) {
                    assertEquals(exact[r], out[r], tolerance[r], type + " row " + r + " in pass " + pass);
                }
            }
        }
    }

    private static MemorySegment copyToNative(Arena arena, byte[] bytes) {
        MemorySegment segment = arena.allocate(bytes.length);
        segment.copyFrom(MemorySegment.ofArray(bytes));
        return segment;
    }
}
