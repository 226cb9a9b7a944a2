package dev.ggufserve.testing;

import dev.ggufserve.gguf.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class QuantizerTest {

    /**
     * Quantize then dequantize (with the independently written {@link Dequantizer}): the RMS error relative to the
     * values' RMS stays within what each type's bit budget allows. Bounds are about 1.5x the measured errors.
     */
    @ParameterizedTest
    @CsvSource({"F32, 0", "F16, 0.001", "BF16, 0.005", "Q8_0, 0.01", "Q4_0, 0.13", "Q4_K, 0.12", "Q5_K, 0.06",
            "Q6_K, 0.03"})
    void roundTripStaysCloseToTheInput(GgmlType type, double maxRelativeRmsError) {
        SplittableRandom random = new SplittableRandom(3);
        float[] values = new float[256 * 8];
        for (int i = 0; i < values.length; i++) {
            // An offset on part of each row, so the K-quant mins and asymmetric ranges are exercised.
            values[i] = (float) (random.nextGaussian() * 0.05 + (i % 256 < 40 ? 0.03 : 0));
        }

        byte[] bytes = Quantizer.quantize(type, values);
        float[] restored = Dequantizer.dequantize(type, bytes, values.length);

        assertEquals(type.bytesFor(values.length), bytes.length);
        double errorSquares = 0;
        double valueSquares = 0;
        for (int i = 0; i < values.length; i++) {
            errorSquares += (restored[i] - values[i]) * (restored[i] - values[i]);
            valueSquares += values[i] * values[i];
        }
        double relativeRmsError = Math.sqrt(errorSquares / valueSquares);
        assertTrue(relativeRmsError <= maxRelativeRmsError, type + " error " + relativeRmsError);
    }

    @ParameterizedTest
    @CsvSource({"Q8_0", "Q4_0", "Q4_K", "Q5_K", "Q6_K"})
    void zerosStayZeros(GgmlType type) {
        float[] restored = Dequantizer.dequantize(type, Quantizer.quantize(type, new float[256]), 256);
        assertArrayEquals(new float[256], restored, 0f); // -0.0 allowed: Q4_0 stores d = 0 / -8
    }

    /** Values -16..15: the largest magnitude is -16, so d = -16 / -8 = 2 and q = round(x / 2) + 8, clamped to 15. */
    @Test
    void q4_0BlockLayoutMatchesGgml() {
        float[] values = new float[32];
        for (int i = 0; i < 32; i++) {
            values[i] = i - 16;
        }
        ByteBuffer block = ByteBuffer.wrap(Quantizer.quantize(GgmlType.Q4_0, values)).order(ByteOrder.LITTLE_ENDIAN);

        assertEquals(2f, Float.float16ToFloat(block.getShort(0)));
        for (int j = 0; j < 16; j++) {
            int low = Math.round(values[j] / 2) + 8;
            int high = Math.min(15, Math.round(values[j + 16] / 2) + 8);
            assertEquals(low | high << 4, block.get(2 + j) & 0xFF, "byte " + j);
        }
    }

    /** A constant block uses the top level everywhere: every ql and qh bit set, every scale 127. */
    @Test
    void q6_KConstantBlockUsesTheTopLevel() {
        float[] values = new float[256];
        Arrays.fill(values, 0.5f);
        byte[] block = Quantizer.quantize(GgmlType.Q6_K, values);

        for (int i = 0; i < 192; i++) {
            assertEquals((byte) 0xFF, block[i], "ql/qh byte " + i);
        }
        for (int i = 192; i < 208; i++) {
            assertEquals(127, block[i], "scale byte " + i);
        }
        float[] restored = Dequantizer.dequantize(GgmlType.Q6_K, block, 256);
        assertEquals(0.5f, restored[0], 0.5f / 200);
        assertEquals(0.5f, restored[255], 0.5f / 200);
    }

    /** bfloat16 keeps the top 16 bits, rounding to nearest and ties to even. */
    @Test
    void bf16RoundsToNearestEven() {
        assertEquals((short) 0x3F80, Quantizer.toBf16(Float.intBitsToFloat(0x3F808000)), "tie, even stays");
        assertEquals((short) 0x3F82, Quantizer.toBf16(Float.intBitsToFloat(0x3F818000)), "tie, odd rounds up");
        assertEquals((short) 0x3F81, Quantizer.toBf16(Float.intBitsToFloat(0x3F808001)), "above the tie");
        assertEquals((short) 0xBF80, Quantizer.toBf16(-1f));
        assertTrue(Float.isNaN(Float.intBitsToFloat(Quantizer.toBf16(Float.NaN) << 16)));
    }

    @Test
    void rejectsPartialBlocks() {
        assertThrows(IllegalArgumentException.class, () -> Quantizer.quantize(GgmlType.Q4_K, new float[128]));
    }
}
