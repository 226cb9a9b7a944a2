package dev.ggufserve.tensor;

import dev.ggufserve.gguf.GgmlType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The block layouts decoded in the most literal way, in double precision, independent of the main code:
 * the reference the kernels are checked against. Follows ggml-common.h / ggml-quants.c dequantize_row_*
 * (and the numpy reference in shared/tools/float-reference/ref_forward.py).
 */
final class ReferenceDequantizer {

    private ReferenceDequantizer() {
    }

    static double[] dequantize(byte[] bytes, GgmlType type, int count) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        double[] out = new double[count];
        int blocks = count / type.blockSize();
        for (int block = 0; block < blocks; block++) {
            int at = block * type.blockBytes();
            int first = block * type.blockSize();
            switch (type) {
                case F32 -> out[first] = buffer.getFloat(at);
                case F16 -> out[first] = Float.float16ToFloat(buffer.getShort(at));
                case BF16 -> out[first] = Float.intBitsToFloat((buffer.getShort(at) & 0xFFFF) << 16);
                case Q8_0 -> q8_0(buffer, at, out, first);
                case Q4_0 -> q4_0(buffer, at, out, first);
                case Q4_K -> q4_k(buffer, at, out, first, false);
                case Q5_K -> q4_k(buffer, at, out, first, true);
                case Q6_K -> q6_k(buffer, at, out, first);
            }
        }
        return out;
    }

    private static double half(ByteBuffer buffer, int at) {
        return Float.float16ToFloat(buffer.getShort(at));
    }

    private static int u8(ByteBuffer buffer, int at) {
        return buffer.get(at) & 0xFF;
    }

    private static void q8_0(ByteBuffer buffer, int at, double[] out, int first) {
        double d = half(buffer, at);
        for (int j = 0; j < 32; j++) {
            out[first + j] = d * buffer.get(at + 2 + j);
        }
    }

    private static void q4_0(ByteBuffer buffer, int at, double[] out, int first) {
        double d = half(buffer, at);
        for (int j = 0; j < 16; j++) {
            int qs = u8(buffer, at + 2 + j);
            out[first + j] = d * ((qs & 0xF) - 8);
            out[first + j + 16] = d * ((qs >> 4) - 8);
        }
    }

    /** Q4_K, or Q5_K when {@code fiveBit}: 32 bytes qh sit between the scales and qs. */
    private static void q4_k(ByteBuffer buffer, int at, double[] out, int first, boolean fiveBit) {
        double d = half(buffer, at);
        double dmin = half(buffer, at + 2);
        int[] q = new int[12];
        for (int i = 0; i < 12; i++) {
            q[i] = u8(buffer, at + 4 + i);
        }
        int[] sc = new int[8];
        int[] m = new int[8];
        for (int j = 0; j < 8; j++) {
            if (j < 4) {
                sc[j] = q[j] & 63;
                m[j] = q[j + 4] & 63;
            } else {
                sc[j] = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
                m[j] = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
            }
        }
        int qh = at + 16;
        int qs = fiveBit ? at + 48 : at + 16;
        for (int c = 0; c < 4; c++) {
            for (int l = 0; l < 32; l++) {
                int low = u8(buffer, qs + 32 * c + l) & 0xF;
                int high = u8(buffer, qs + 32 * c + l) >> 4;
                if (fiveBit) {
                    int bits = u8(buffer, qh + l);
                    low += (bits & (1 << (2 * c))) != 0 ? 16 : 0;
                    high += (bits & (1 << (2 * c + 1))) != 0 ? 16 : 0;
                }
                out[first + 64 * c + l] = d * sc[2 * c] * low - dmin * m[2 * c];
                out[first + 64 * c + 32 + l] = d * sc[2 * c + 1] * high - dmin * m[2 * c + 1];
            }
        }
    }

    private static void q6_k(ByteBuffer buffer, int at, double[] out, int first) {
        double d = half(buffer, at + 208);
        for (int n = 0; n < 2; n++) {
            int ql = at + 64 * n;
            int qh = at + 128 + 32 * n;
            int sc = at + 192 + 8 * n;
            int y = first + 128 * n;
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int q1 = ((u8(buffer, ql + l) & 0xF) | ((u8(buffer, qh + l) >> 0) & 3) << 4) - 32;
                int q2 = ((u8(buffer, ql + l + 32) & 0xF) | ((u8(buffer, qh + l) >> 2) & 3) << 4) - 32;
                int q3 = ((u8(buffer, ql + l) >> 4) | ((u8(buffer, qh + l) >> 4) & 3) << 4) - 32;
                int q4 = ((u8(buffer, ql + l + 32) >> 4) | ((u8(buffer, qh + l) >> 6) & 3) << 4) - 32;
                out[y + l] = d * buffer.get(sc + is) * q1;
                out[y + l + 32] = d * buffer.get(sc + is + 2) * q2;
                out[y + l + 64] = d * buffer.get(sc + is + 4) * q3;
                out[y + l + 96] = d * buffer.get(sc + is + 6) * q4;
            }
        }
    }
}
