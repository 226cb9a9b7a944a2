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
 * {@link WeightMatrix#matMul} (the prefill tile kernel) against a double-precision sum over the reference weights, for
 * every type: token counts that use the wide path's 4-vector kernel, its 1-vector kernel and padding, and the
 * small-tile path's 4-token and 1-token kernels, and matVecs per token; row ranges longer than one row block and not multiples of the row
 * group, rows longer than one column pass, and outputs left untouched outside the range.
 */
class WeightMatrixMatMulTest {

    private static final int ROWS = WeightMatrix.ROW_BLOCK + 11;
    private static final int OUT_OFFSET = 2;

    /** Two column passes and a partial third for the quantized types (and for the small tiles, whose passes are
     * shorter, a partial last pass too); an odd count for plain floats. */
    private static int columns(GgmlType type) {
        return type.blockSize() == 1 ? WeightMatrix.COLUMN_PASS + 77 : 2 * WeightMatrix.COLUMN_PASS + 3 * 256;
    }

    @ParameterizedTest
    @EnumSource(GgmlType.class)
    void matMulMatchesDoublePrecisionSum(GgmlType type) {
        // wide tiles: 4 token vectors and a partial fifth; a partial first only. Small tiles: the generic path's
        // 4-token kernel calls with 0 to 3 single tokens after them, and 3 single tokens alone; the fused kernels'
        // 8 and 4 tokens, full and with 1 to 3 padding tokens. Then matVecs per token.
        for (int tokens : new int[] {4 * 16 + 7, WeightMatrix.SMALL_TILE_TOKENS + 1, WeightMatrix.SMALL_TILE_TOKENS,
                7, 5, 4, 3, WeightMatrix.MATVEC_TOKENS, 1}) {
            check(type, tokens);
        }
    }

    private static void check(GgmlType type, int tokens) {
        int cols = columns(type);
        Random random = new Random(41 + type.id() + tokens);
        byte[] bytes = RandomWeights.bytes(type, ROWS * cols, random);
        double[] weights = ReferenceDequantizer.dequantize(bytes, type, ROWS * cols);
        int xStride = cols + 5;
        int outStride = ROWS + OUT_OFFSET + 3;
        float[] x = RandomWeights.floats(tokens * xStride, random);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment segment = arena.allocate(bytes.length);
            MemorySegment.copy(MemorySegment.ofArray(bytes), 0, segment, 0, bytes.length);
            WeightMatrix matrix = WeightMatrix.of(segment, type, ROWS, cols);
            float[] out = new float[tokens * outStride];
            Arrays.fill(out, Float.NaN);
            int rowFrom = 1;
            int rowTo = ROWS - 1;
            matrix.matMul(x, xStride, tokens, out, OUT_OFFSET, outStride, rowFrom, rowTo,
                    new float[WeightMatrix.matMulScratchSize(tokens, cols)]);
            for (int t = 0; t < tokens; t++) {
                for (int r = 0; r < ROWS; r++) {
                    float actual = out[t * outStride + OUT_OFFSET + r];
                    if (r < rowFrom || r >= rowTo) {
                        assertTrue(Float.isNaN(actual), "matMul wrote row " + r + " outside its range");
                        continue;
                    }
                    double exact = 0;
                    double magnitude = 0;
                    for (int j = 0; j < cols; j++) {
                        double term = weights[r * cols + j] * x[t * xStride + j];
                        exact += term;
                        magnitude += Math.abs(term);
                    }
                    assertEquals(exact, actual, 1e-5 * magnitude, type + " tokens " + tokens + ": token " + t + " row " + r);
                }
            }
        }
    }
}
