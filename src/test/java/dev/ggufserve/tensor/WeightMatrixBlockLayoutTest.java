package dev.ggufserve.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ggufserve.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/**
 * One hand-built block layout per type, with the expected weights worked out by hand in the comments. Each
 * expected weight is checked through dequantizeRow and through dot with a one-hot x (which picks out that
 * single weight through the vectorized path).
 */
class WeightMatrixBlockLayoutTest {

    private static final short ONE_HALF = 0x3800;   // f16 0.5
    private static final short ONE = 0x3C00;        // f16 1.0
    private static final short TWO = 0x4000;        // f16 2.0
    private static final short MINUS_TWO = (short) 0xC000;
    private static final short ONE_QUARTER = 0x3400; // f16 0.25

    @Test
    void q8_0() {
        ByteBuffer bytes = blocks(GgmlType.Q8_0, 4); // 2 rows of 2 blocks
        // row 0, block 0: d = 0.5, qs[j] = j - 16, except qs[5] = -128
        bytes.putShort(0, ONE_HALF);
        for (int j = 0; j < 32; j++) {
            bytes.put(2 + j, (byte) (j - 16));
        }
        bytes.put(2 + 5, (byte) -128);
        // row 0, block 1: d = -2, qs all 3, except qs[31] = 127
        bytes.putShort(34, MINUS_TWO);
        for (int j = 0; j < 32; j++) {
            bytes.put(36 + j, (byte) 3);
        }
        bytes.put(36 + 31, (byte) 127);
        // row 1, block 0: d = 1, qs[0] = 1; block 1: d = 0.25, qs[10] = -4
        bytes.putShort(68, ONE);
        bytes.put(70, (byte) 1);
        bytes.putShort(102, ONE_QUARTER);
        bytes.put(104 + 10, (byte) -4);
        WeightMatrix matrix = WeightMatrix.of(MemorySegment.ofArray(bytes.array()), GgmlType.Q8_0, 2, 64);

        assertWeight(matrix, 0, 0, -8f);      // 0.5 * -16
        assertWeight(matrix, 0, 5, -64f);     // 0.5 * -128
        assertWeight(matrix, 0, 16, 0f);      // 0.5 * 0
        assertWeight(matrix, 0, 31, 7.5f);    // 0.5 * 15
        assertWeight(matrix, 0, 32, -6f);     // -2 * 3
        assertWeight(matrix, 0, 63, -254f);   // -2 * 127
        assertWeight(matrix, 1, 0, 1f);
        assertWeight(matrix, 1, 1, 0f);
        assertWeight(matrix, 1, 42, -1f);     // 0.25 * -4

        // x all ones: row 0 = 0.5 * (sum(j - 16) + 11 - 128) - 2 * (3 * 31 + 127) = -66.5 - 440; row 1 = 1 - 1
        float[] ones = new float[64];
        Arrays.fill(ones, 1f);
        float[] out = new float[2];
        matrix.matVec(ones, 0, out, 0, 0, 2);
        assertArrayEquals(new float[] {-506.5f, 0f}, out);
    }

    @Test
    void q4_0() {
        ByteBuffer bytes = blocks(GgmlType.Q4_0, 2); // 1 row of 2 blocks
        for (int j = 0; j < 16; j++) {
            bytes.put(2 + j, (byte) 0x88);  // both nibbles 8: weight 0
            bytes.put(20 + j, (byte) 0x88);
        }
        // block 0: d = 0.25
        bytes.putShort(0, ONE_QUARTER);
        bytes.put(2, (byte) 0x3A);
        bytes.put(2 + 15, (byte) 0xF0);
        // block 1: d = 2
        bytes.putShort(18, TWO);
        bytes.put(20 + 7, (byte) 0x1F);
        WeightMatrix matrix = WeightMatrix.of(MemorySegment.ofArray(bytes.array()), GgmlType.Q4_0, 1, 64);

        assertWeight(matrix, 0, 0, 0.5f);     // low nibble of 0x3A = 10: 0.25 * (10 - 8)
        assertWeight(matrix, 0, 16, -1.25f);  // high nibble 3: 0.25 * (3 - 8)
        assertWeight(matrix, 0, 15, -2f);     // low nibble of 0xF0 = 0: 0.25 * -8
        assertWeight(matrix, 0, 31, 1.75f);   // high nibble 15: 0.25 * 7
        assertWeight(matrix, 0, 1, 0f);
        assertWeight(matrix, 0, 32 + 7, 14f);   // 2 * (15 - 8)
        assertWeight(matrix, 0, 32 + 23, -14f); // 2 * (1 - 8)
    }

    /**
     * The 12 scale bytes used by the Q4_K and Q5_K blocks below. Sub-blocks 0..3: sc = q[j] & 63,
     * m = q[j + 4] & 63, so sc = {3, 10, 0, 0}, m = {5, 1, 0, 0}. Sub-blocks 4..7 take the low 4 bits from
     * q[j + 4] and the top 2 from q[j - 4] >> 6 (scale) or q[j] >> 6 (min):
     * sc4 = (0x72 & 0xF) | (0x43 >> 6) << 4 = 2 | 16 = 18, m4 = (0x72 >> 4) | (0x85 >> 6) << 4 = 7 | 32 = 39,
     * sc5 = m5 = sc6 = m6 = 0, sc7 = (0x01 & 0xF) | (0xC0 >> 6) << 4 = 1 | 48 = 49, m7 = 0.
     */
    private static final byte[] K_SCALES = {
        0x43, 10, 0, (byte) 0xC0, (byte) 0x85, 1, 0, 0, 0x72, 0, 0, 0x01
    };

    @Test
    void q4_k() {
        ByteBuffer bytes = blocks(GgmlType.Q4_K, 2); // 1 row of 2 super-blocks
        // block 0: d = 1, dmin = 0.5, qs at 16
        bytes.putShort(0, ONE);
        bytes.putShort(2, ONE_HALF);
        bytes.put(4, K_SCALES);
        bytes.put(16, (byte) 0x96);
        bytes.put(16 + 31, (byte) 0x0F);
        bytes.put(16 + 64 + 2, (byte) 0x04);
        bytes.put(16 + 96 + 5, (byte) 0x20);
        // block 1 (at 144): d = 2, dmin = 1, sc0 = 1, m0 = 3, qs[0] = 0x05
        bytes.putShort(144, TWO);
        bytes.putShort(146, ONE);
        bytes.put(148, (byte) 1);
        bytes.put(148 + 4, (byte) 3);
        bytes.put(144 + 16, (byte) 0x05);
        WeightMatrix matrix = WeightMatrix.of(MemorySegment.ofArray(bytes.array()), GgmlType.Q4_K, 1, 512);

        // weight = d * sc * q - dmin * m
        assertWeight(matrix, 0, 0, 15.5f);    // chunk 0 low nibble of 0x96 = 6, sub-block 0: 3 * 6 - 0.5 * 5
        assertWeight(matrix, 0, 32, 89.5f);   // chunk 0 high nibble 9, sub-block 1: 10 * 9 - 0.5 * 1
        assertWeight(matrix, 0, 31, 42.5f);   // 3 * 15 - 2.5
        assertWeight(matrix, 0, 63, -0.5f);   // 10 * 0 - 0.5
        assertWeight(matrix, 0, 1, -2.5f);    // 3 * 0 - 2.5
        assertWeight(matrix, 0, 128, -19.5f); // chunk 2 (qs byte 64), sub-block 4: 18 * 0 - 0.5 * 39
        assertWeight(matrix, 0, 130, 52.5f);  // 18 * 4 - 19.5
        assertWeight(matrix, 0, 162, 0f);     // sub-block 5: sc = m = 0
        assertWeight(matrix, 0, 197, 0f);     // chunk 3 (qs byte 96 + 5) low nibble 0, sub-block 6: sc = m = 0
        assertWeight(matrix, 0, 229, 98f);    // high nibble 2, sub-block 7: 49 * 2 - 0
        assertWeight(matrix, 0, 256, 7f);     // block 1: 2 * 1 * 5 - 1 * 3
        assertWeight(matrix, 0, 257, -3f);    // 2 * 1 * 0 - 3
    }

    @Test
    void q5_k() {
        ByteBuffer bytes = blocks(GgmlType.Q5_K, 2); // 1 row of 2 super-blocks
        // block 0: as the Q4_K block, with qh at 16 and qs at 48
        bytes.putShort(0, ONE);
        bytes.putShort(2, ONE_HALF);
        bytes.put(4, K_SCALES);
        bytes.put(16, (byte) 0x03);     // qh[0]: bit 0 -> weight 0, bit 1 -> weight 32
        bytes.put(16 + 2, (byte) 0x10); // qh[2]: bit 4 -> chunk 2 low half, weight 128 + 2
        bytes.put(16 + 5, (byte) 0x80); // qh[5]: bit 7 -> chunk 3 high half, weight 192 + 32 + 5
        bytes.put(48, (byte) 0x96);
        bytes.put(48 + 31, (byte) 0x0F);
        bytes.put(48 + 64 + 2, (byte) 0x04);
        bytes.put(48 + 96 + 5, (byte) 0x20);
        // block 1 (at 176): d = 2, dmin = 1, sc0 = 1, m0 = 3, qh[0] = 1, qs[0] = 0x05
        bytes.putShort(176, TWO);
        bytes.putShort(178, ONE);
        bytes.put(180, (byte) 1);
        bytes.put(180 + 4, (byte) 3);
        bytes.put(176 + 16, (byte) 0x01);
        bytes.put(176 + 48, (byte) 0x05);
        WeightMatrix matrix = WeightMatrix.of(MemorySegment.ofArray(bytes.array()), GgmlType.Q5_K, 1, 512);

        assertWeight(matrix, 0, 0, 63.5f);    // q = 6 + 16: 3 * 22 - 2.5
        assertWeight(matrix, 0, 32, 249.5f);  // q = 9 + 16: 10 * 25 - 0.5
        assertWeight(matrix, 0, 31, 42.5f);   // no fifth bit: as Q4_K
        assertWeight(matrix, 0, 63, -0.5f);
        assertWeight(matrix, 0, 2, -2.5f);    // qh[2] has only the chunk 2 bit: 3 * 0 - 2.5
        assertWeight(matrix, 0, 128, -19.5f);
        assertWeight(matrix, 0, 130, 340.5f); // q = 4 + 16: 18 * 20 - 19.5
        assertWeight(matrix, 0, 197, 0f);
        assertWeight(matrix, 0, 229, 882f);   // q = 2 + 16: 49 * 18
        assertWeight(matrix, 0, 256, 39f);    // block 1: 2 * 1 * (5 + 16) - 3
        assertWeight(matrix, 0, 257, -3f);
    }

    @Test
    void q6_k() {
        ByteBuffer bytes = blocks(GgmlType.Q6_K, 2); // 1 row of 2 super-blocks
        // block 0: ql at 0, qh at 128, int8 scales at 192, d = 0.5 at 208
        byte[] scales = {2, 5, -3, 0, 4, 0, 1, 0, -1, 0, 0, 0, 0, 0, 7, 0};
        bytes.put(192, scales);
        bytes.putShort(208, ONE_HALF);
        bytes.put(0, (byte) 0x5A);        // ql[0]
        bytes.put(32, (byte) 0x3C);       // ql[32]
        bytes.put(128, (byte) 0xE4);      // qh[0] = 0b11_10_01_00
        bytes.put(16, (byte) 0xFF);       // ql[16]
        bytes.put(128 + 16, (byte) 0x03); // qh[16]
        bytes.put(64, (byte) 0x01);       // second half: ql[64 + 0]
        bytes.put(96, (byte) 0x70);       // ql[64 + 32]
        bytes.put(128 + 32, (byte) 0x40); // qh[32 + 0]
        // block 1 (at 210): d = 1, sc[0] = 1, ql[0] = 0x21, qh[0] = 0x02
        bytes.put(210 + 192, (byte) 1);
        bytes.putShort(210 + 208, ONE);
        bytes.put(210, (byte) 0x21);
        bytes.put(210 + 128, (byte) 0x02);
        WeightMatrix matrix = WeightMatrix.of(MemorySegment.ofArray(bytes.array()), GgmlType.Q6_K, 1, 512);

        // weight = d * sc * (q - 32), q = four low bits | two high bits << 4
        assertWeight(matrix, 0, 0, -22f);     // ql[0] low 10 | (qh bits 0-1 = 0): 0.5 * sc[0]=2 * (10 - 32)
        assertWeight(matrix, 0, 32, 6f);      // ql[32] low 12 | (bits 2-3 = 1) << 4 = 28: 0.5 * -3 * -4
        assertWeight(matrix, 0, 64, 10f);     // ql[0] high 5 | (bits 4-5 = 2) << 4 = 37: 0.5 * 4 * 5
        assertWeight(matrix, 0, 96, 9.5f);    // ql[32] high 3 | (bits 6-7 = 3) << 4 = 51: 0.5 * 1 * 19
        assertWeight(matrix, 0, 1, -32f);     // q = 0: 0.5 * 2 * -32
        assertWeight(matrix, 0, 16, 77.5f);   // l = 16 uses sc[1] = 5: 15 | 3 << 4 = 63: 0.5 * 5 * 31
        assertWeight(matrix, 0, 17, -80f);    // 0.5 * 5 * -32
        assertWeight(matrix, 0, 48, 0f);      // sc[3] = 0
        assertWeight(matrix, 0, 128, 15.5f);  // second half, sc[8] = -1: 0.5 * -1 * (1 - 32)
        assertWeight(matrix, 0, 224, -31.5f); // ql[96] high 7 | (qh[32] bits 6-7 = 1) << 4 = 23, sc[14] = 7: 0.5 * 7 * -9
        assertWeight(matrix, 0, 256, 1f);     // block 1: 1 | 2 << 4 = 33: 1 * 1 * 1
    }

    @Test
    void f32() {
        // 20 columns: 16 or 8 go through vectors, the rest through the scalar tail
        ByteBuffer bytes = blocks(GgmlType.F32, 20);
        bytes.putFloat(0, 1.5f);
        bytes.putFloat(9 * 4, -2.25f);
        bytes.putFloat(18 * 4, 1e-3f);
        WeightMatrix matrix = WeightMatrix.of(MemorySegment.ofArray(bytes.array()), GgmlType.F32, 1, 20);

        assertWeight(matrix, 0, 0, 1.5f);
        assertWeight(matrix, 0, 9, -2.25f);
        assertWeight(matrix, 0, 18, 1e-3f);
        assertWeight(matrix, 0, 1, 0f);
    }

    @Test
    void f16() {
        ByteBuffer bytes = blocks(GgmlType.F16, 20);
        bytes.putShort(0, (short) 0x3C00);       // 1
        bytes.putShort(3 * 2, (short) 0xC000);   // -2
        bytes.putShort(7 * 2, (short) 0x0001);   // smallest subnormal, 2^-24
        bytes.putShort(12 * 2, (short) 0x3555);  // 2^(13 - 15) * (1 + 341 / 1024)
        bytes.putShort(17 * 2, (short) 0x7BFF);  // largest finite half
        WeightMatrix matrix = WeightMatrix.of(MemorySegment.ofArray(bytes.array()), GgmlType.F16, 1, 20);

        assertWeight(matrix, 0, 0, 1f);
        assertWeight(matrix, 0, 3, -2f);
        assertWeight(matrix, 0, 7, 0x1p-24f);
        assertWeight(matrix, 0, 12, 0.333251953125f);
        assertWeight(matrix, 0, 17, 65504f);
    }

    @Test
    void bf16() {
        ByteBuffer bytes = blocks(GgmlType.BF16, 20);
        bytes.putShort(2 * 2, (short) 0x3F80);   // float bits 0x3F800000 = 1
        bytes.putShort(15 * 2, (short) 0xC040);  // 0xC0400000 = -3
        bytes.putShort(19 * 2, (short) 0x4049);  // 0x40490000 = 3.140625
        WeightMatrix matrix = WeightMatrix.of(MemorySegment.ofArray(bytes.array()), GgmlType.BF16, 1, 20);

        assertWeight(matrix, 0, 2, 1f);
        assertWeight(matrix, 0, 15, -3f);
        assertWeight(matrix, 0, 19, 3.140625f);
        assertWeight(matrix, 0, 0, 0f);
    }

    /** Zeroed little-endian bytes for {@code blockCount} blocks of {@code type}. */
    private static ByteBuffer blocks(GgmlType type, int blockCount) {
        return ByteBuffer.allocate(blockCount * type.blockBytes()).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Weight {@code column} of {@code row} is {@code expected}, both decoded and through dot with a one-hot x. */
    private static void assertWeight(WeightMatrix matrix, int row, int column, float expected) {
        float[] decoded = new float[matrix.cols()];
        matrix.dequantizeRow(row, decoded, 0);
        assertEquals(expected, decoded[column], 0f, matrix.type() + " dequantized weight " + column);

        int xOffset = 1;
        float[] oneHot = new float[xOffset + matrix.cols()];
        oneHot[xOffset + column] = 1f;
        assertEquals(expected, matrix.dot(row, oneHot, xOffset), 0f, matrix.type() + " dot picking weight " + column);
    }
}
