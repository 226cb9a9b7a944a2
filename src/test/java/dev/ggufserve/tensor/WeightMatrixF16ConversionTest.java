package dev.ggufserve.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ggufserve.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The F16 kernel converts halves to floats with integer bit operations (the Vector API has none built in);
 * this checks that conversion against {@link Float#float16ToFloat} for every one of the 65536 bit patterns,
 * subnormals, infinities and NaNs included.
 */
class WeightMatrixF16ConversionTest {

    private static final int PATTERNS = 1 << 16;
    /** One vector of 16 lanes (or two of 8) per row: no scalar tail. */
    private static final int COLS = 16;
    /** Enough passes over the 65536 rows for the kernel to run compiled by C2, not only interpreted. */
    private static final int PASSES = 6;

    @Test
    void everyHalfBitPatternConvertsExactly() {
        // Row p holds pattern p in column p % 16 and zeros elsewhere, so its dot with all-ones is that weight.
        ByteBuffer bytes = ByteBuffer.allocate(PATTERNS * COLS * Short.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int pattern = 0; pattern < PATTERNS; pattern++) {
            bytes.putShort((pattern * COLS + pattern % COLS) * Short.BYTES, (short) pattern);
        }
        WeightMatrix matrix = WeightMatrix.of(MemorySegment.ofArray(bytes.array()), GgmlType.F16, PATTERNS, COLS);
        float[] ones = new float[COLS];
        Arrays.fill(ones, 1f);
        float[] out = new float[PATTERNS];

        for (int pass = 0; pass < PASSES; pass++) {
            matrix.matVec(ones, 0, out, 0, 0, PATTERNS);
            for (int pattern = 0; pattern < PATTERNS; pattern++) {
                // a zero delta still equates -0 and +0 (the dot adds +0 to a -0 weight) and NaN with NaN
                assertEquals(Float.float16ToFloat((short) pattern), out[pattern], 0f,
                        "half 0x" + Integer.toHexString(pattern) + " in pass " + pass);
            }
        }
    }
}
