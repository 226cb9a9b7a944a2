package dev.ggufserve.testing;

import dev.ggufserve.gguf.GgmlType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Test-side dequantization of ggml blocks back to floats, written loop for loop after ggml's dequantize_row_*
 * (ggml-quants.c), independently of {@link Quantizer}'s index arithmetic, so that a round trip checks the layout.
 */
public final class Dequantizer {

    private Dequantizer() {
    }

    public static float[] dequantize(GgmlType type, byte[] data, int count) {
        ByteBuffer in = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[count];
        for (int block = 0; block < count / type.blockSize(); block++) {
            int base = block * type.blockBytes();
            int y = block * type.blockSize();
            switch (type) {
                case F32 -> out[y] = in.getFloat(base);
                case F16 -> out[y] = Float.float16ToFloat(in.getShort(base));
                case BF16 -> out[y] = Float.intBitsToFloat((in.getShort(base) & 0xFFFF) << 16);
                case Q8_0 -> {
                    float d = f16(in, base);
                    for (int i = 0; i < 32; i++) {
                        out[y + i] = d * in.get(base + 2 + i);
                    }
                }
                case Q4_0 -> {
                    float d = f16(in, base);
                    for (int j = 0; j < 16; j++) {
                        int q = in.get(base + 2 + j) & 0xFF;
                        out[y + j] = d * ((q & 0xF) - 8);
                        out[y + j + 16] = d * ((q >> 4) - 8);
                    }
                }
                case Q4_K, Q5_K -> kQuant(type, in, base, out, y);
                case Q6_K -> q6_K(in, base, out, y);
            }
        }
        return out;
    }

    private static void kQuant(GgmlType type, ByteBuffer in, int base, float[] out, int y) {
        float d = f16(in, base);
        float dMin = f16(in, base + 2);
        int scales = base + 4;
        int qh = base + 16;
        int qs = type == GgmlType.Q5_K ? base + 48 : base + 16;
        int is = 0;
        int u1 = 1;
        int u2 = 2;
        for (int j = 0; j < 256; j += 64) {
            int[] sm1 = scaleMin(in, scales, is);
            int[] sm2 = scaleMin(in, scales, is + 1);
            for (int l = 0; l < 32; l++) {
                int q = in.get(qs + l) & 0xFF;
                int h = type == GgmlType.Q5_K ? in.get(qh + l) & 0xFF : 0;
                out[y++] = d * sm1[0] * ((q & 0xF) + ((h & u1) != 0 ? 16 : 0)) - dMin * sm1[1];
            }
            for (int l = 0; l < 32; l++) {
                int q = in.get(qs + l) & 0xFF;
                int h = type == GgmlType.Q5_K ? in.get(qh + l) & 0xFF : 0;
                out[y++] = d * sm2[0] * ((q >> 4) + ((h & u2) != 0 ? 16 : 0)) - dMin * sm2[1];
            }
            qs += 32;
            is += 2;
            u1 <<= 2;
            u2 <<= 2;
        }
    }

    /** ggml's get_scale_min_k4: {scale, min} of sub-block j from the 12-byte scales field. */
    private static int[] scaleMin(ByteBuffer in, int scales, int j) {
        int[] q = new int[12];
        for (int i = 0; i < 12; i++) {
            q[i] = in.get(scales + i) & 0xFF;
        }
        if (j < 4) {
            return new int[] {q[j] & 63, q[j + 4] & 63};
        }
        return new int[] {(q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4), (q[j + 4] >> 4) | ((q[j] >> 6) << 4)};
    }

    private static void q6_K(ByteBuffer in, int base, float[] out, int y) {
        float d = f16(in, base + 208);
        int ql = base;
        int qh = base + 128;
        int sc = base + 192;
        for (int n = 0; n < 256; n += 128) {
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int low0 = in.get(ql + l) & 0xFF;
                int low32 = in.get(ql + l + 32) & 0xFF;
                int high = in.get(qh + l) & 0xFF;
                int q1 = ((low0 & 0xF) | ((high & 3) << 4)) - 32;
                int q2 = ((low32 & 0xF) | (((high >> 2) & 3) << 4)) - 32;
                int q3 = ((low0 >> 4) | (((high >> 4) & 3) << 4)) - 32;
                int q4 = ((low32 >> 4) | (((high >> 6) & 3) << 4)) - 32;
                out[y + l] = d * in.get(sc + is) * q1;
                out[y + l + 32] = d * in.get(sc + is + 2) * q2;
                out[y + l + 64] = d * in.get(sc + is + 4) * q3;
                out[y + l + 96] = d * in.get(sc + is + 6) * q4;
            }
            y += 128;
            ql += 64;
            qh += 32;
            sc += 8;
        }
    }

    private static float f16(ByteBuffer in, int offset) {
        return Float.float16ToFloat(in.getShort(offset));
    }
}
