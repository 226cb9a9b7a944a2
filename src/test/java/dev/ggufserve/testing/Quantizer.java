package dev.ggufserve.testing;

import dev.ggufserve.gguf.GgmlType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Turns floats into the block layouts of ggml's types (ggml-common.h {@code block_*} structs) for test models.
 * The quantizers are simple, not ggml's error-minimising ones: each block's scales come straight from its value
 * range, and every value is rounded to the nearest level of the stored (f16-rounded) scales. The blocks are
 * valid and dequantize close to the input, which is all test weights need.
 */
public final class Quantizer {

    private Quantizer() {
    }

    /** The bytes of {@code values} stored as {@code type}; the length must be a multiple of its block size. */
    public static byte[] quantize(GgmlType type, float[] values) {
        if (values.length % type.blockSize() != 0) {
            throw new IllegalArgumentException(values.length + " values are not a whole number of " + type
                    + " blocks of " + type.blockSize());
        }
        ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(type.bytesFor(values.length)))
                .order(ByteOrder.LITTLE_ENDIAN);
        for (int start = 0; start < values.length; start += type.blockSize()) {
            switch (type) {
                case F32 -> out.putFloat(values[start]);
                case F16 -> out.putShort(Float.floatToFloat16(values[start]));
                case BF16 -> out.putShort(toBf16(values[start]));
                case Q8_0 -> q8_0(values, start, out);
                case Q4_0 -> q4_0(values, start, out);
                case Q4_K -> kQuant(values, start, 15, out);
                case Q5_K -> kQuant(values, start, 31, out);
                case Q6_K -> q6_K(values, start, out);
            }
        }
        return out.array();
    }

    /** bfloat16: the top 16 bits of the float32, rounded to nearest even; NaN stays a (quiet) NaN. */
    static short toBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if (Float.isNaN(value)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int roundingBias = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }

    /** block_q8_0: f16 d, then 32 int8 q; value = d * q, d = max|x| / 127. */
    private static void q8_0(float[] values, int start, ByteBuffer out) {
        float absMax = 0;
        for (int i = 0; i < 32; i++) {
            absMax = Math.max(absMax, Math.abs(values[start + i]));
        }
        short dBits = Float.floatToFloat16(absMax / 127f);
        float d = Float.float16ToFloat(dBits);
        out.putShort(dBits);
        for (int i = 0; i < 32; i++) {
            out.put((byte) quantizeLevel(values[start + i], d, 0, -127, 127));
        }
    }

    /**
     * block_q4_0: f16 d, then 16 bytes of 4-bit q (low nibbles elements 0..15, high nibbles 16..31);
     * value = d * (q - 8). d = max / -8 with max the value of largest magnitude, sign kept, so that value maps
     * exactly to level 0 and the opposite side gets the 8 remaining levels.
     */
    private static void q4_0(float[] values, int start, ByteBuffer out) {
        float signedMax = 0;
        for (int i = 0; i < 32; i++) {
            if (Math.abs(values[start + i]) > Math.abs(signedMax)) {
                signedMax = values[start + i];
            }
        }
        short dBits = Float.floatToFloat16(signedMax / -8f);
        float d = Float.float16ToFloat(dBits);
        out.putShort(dBits);
        for (int j = 0; j < 16; j++) {
            int low = quantizeLevel(values[start + j], d, 8, 0, 15);
            int high = quantizeLevel(values[start + j + 16], d, 8, 0, 15);
            out.put((byte) (low | high << 4));
        }
    }

    /**
     * block_q4_K (maxLevel 15) and block_q5_K (maxLevel 31): 256 values in 8 sub-blocks of 32, each with a 6-bit
     * scale and a 6-bit min; value = d * scale * q - dmin * min. Bytes: f16 d, f16 dmin, 12 bytes of packed scales
     * and mins, then for Q5_K qh[32] (the fifth bit), then qs[128] (the low four bits).
     */
    private static void kQuant(float[] values, int start, int maxLevel, ByteBuffer out) {
        float[] subScales = new float[8];
        float[] subMins = new float[8];
        for (int j = 0; j < 8; j++) {
            float low = 0;
            float high = 0;
            for (int i = 0; i < 32; i++) {
                low = Math.min(low, values[start + 32 * j + i]);
                high = Math.max(high, values[start + 32 * j + i]);
            }
            subScales[j] = (high - low) / maxLevel;
            subMins[j] = -low;
        }
        short dBits = Float.floatToFloat16(max(subScales) / 63f);
        short dMinBits = Float.floatToFloat16(max(subMins) / 63f);
        float d = Float.float16ToFloat(dBits);
        float dMin = Float.float16ToFloat(dMinBits);
        int[] scales = new int[8];
        int[] mins = new int[8];
        for (int j = 0; j < 8; j++) {
            scales[j] = quantizeLevel(subScales[j], d, 0, 0, 63);
            mins[j] = quantizeLevel(subMins[j], dMin, 0, 0, 63);
        }
        out.putShort(dBits).putShort(dMinBits).put(packScalesAndMins(scales, mins));

        byte[] highBits = new byte[32];
        byte[] lowNibbles = new byte[128];
        for (int e = 0; e < 256; e++) {
            int subBlock = e / 32;
            float step = d * scales[subBlock];
            float offset = dMin * mins[subBlock];
            int q = step == 0 ? 0 : Math.clamp(Math.round((values[start + e] + offset) / step), 0, maxLevel);
            // Each 64-value chunk c shares 32 bytes: sub-block 2c in the low nibbles, 2c+1 in the high nibbles.
            int chunk = e / 64;
            int half = (e % 64) / 32;
            int lane = e % 32;
            lowNibbles[32 * chunk + lane] |= (byte) ((q & 0xF) << (4 * half));
            // Q5_K: the fifth bit of value `lane` of sub-block j is bit j of qh[lane].
            highBits[lane] |= (byte) ((q >> 4) << subBlock);
        }
        if (maxLevel == 31) {
            out.put(highBits);
        }
        out.put(lowNibbles);
    }

    /**
     * The 12-byte scales field of Q4_K/Q5_K, the inverse of ggml's get_scale_min_k4: bytes 0..3 hold scales 0..3,
     * bytes 4..7 mins 0..3 (6 bits each); bytes 8..11 hold the low 4 bits of scale 4..7 (low nibble) and min 4..7
     * (high nibble), whose top 2 bits go in the top 2 bits of bytes 0..3 (scales) and 4..7 (mins).
     */
    static byte[] packScalesAndMins(int[] scales, int[] mins) {
        byte[] packed = new byte[12];
        for (int j = 0; j < 4; j++) {
            packed[j] = (byte) (scales[j] | (scales[j + 4] >> 4) << 6);
            packed[j + 4] = (byte) (mins[j] | (mins[j + 4] >> 4) << 6);
            packed[j + 8] = (byte) ((scales[j + 4] & 0xF) | (mins[j + 4] & 0xF) << 4);
        }
        return packed;
    }

    /**
     * block_q6_K: ql[128] (low 4 bits), qh[64] (high 2 bits), 16 int8 scales (one per 16 values), f16 d;
     * value = d * scale * (q - 32). Value e of a 128-value half n sits, with k = (e % 128) / 32 and l = e % 32,
     * in the low (k = 0, 1) or high (k = 2, 3) nibble of ql[64n + l + 32 (k odd)] and bits 2k, 2k+1 of
     * qh[32n + l], as read by ggml's dequantize_row_q6_K.
     */
    private static void q6_K(float[] values, int start, ByteBuffer out) {
        float[] subScales = new float[16];
        for (int i = 0; i < 16; i++) {
            float absMax = 0;
            for (int j = 0; j < 16; j++) {
                absMax = Math.max(absMax, Math.abs(values[start + 16 * i + j]));
            }
            subScales[i] = absMax / 31;
        }
        short dBits = Float.floatToFloat16(max(subScales) / 127f);
        float d = Float.float16ToFloat(dBits);
        byte[] scales = new byte[16];
        for (int i = 0; i < 16; i++) {
            scales[i] = (byte) quantizeLevel(subScales[i], d, 0, 0, 127);
        }
        byte[] low = new byte[128];
        byte[] high = new byte[64];
        for (int e = 0; e < 256; e++) {
            float step = d * scales[e / 16];
            int q = quantizeLevel(values[start + e], step, 32, 0, 63);
            int half = e / 128;
            int k = (e % 128) / 32;
            int l = e % 32;
            low[64 * half + l + 32 * (k & 1)] |= (byte) ((q & 0xF) << (4 * (k >> 1)));
            high[32 * half + l] |= (byte) ((q >> 4) << (2 * k));
        }
        out.put(low).put(high).put(scales).putShort(dBits);
    }

    /** round(value / step) + zeroLevel, clamped to [minLevel, maxLevel]; zeroLevel when the step is 0. */
    private static int quantizeLevel(float value, float step, int zeroLevel, int minLevel, int maxLevel) {
        if (step == 0) {
            return zeroLevel;
        }
        return Math.clamp(Math.round(value / step) + zeroLevel, minLevel, maxLevel);
    }

    private static float max(float[] values) {
        float max = 0;
        for (float value : values) {
            max = Math.max(max, value);
        }
        return max;
    }
}
