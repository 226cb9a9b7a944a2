package dev.ggufserve.tensor;

import java.lang.foreign.MemorySegment;

/**
 * The 12 scale bytes of a Q4_K or Q5_K super-block hold a 6-bit scale and a 6-bit min for each of its 8
 * sub-blocks (ggml's {@code get_scale_min_k4}). Sub-blocks 0..3 use the low 6 bits of bytes 0..3 (scale)
 * and 4..7 (min); sub-blocks 4..7 take their low 4 bits from a nibble of bytes 8..11 and their top 2 bits
 * from the spare top bits of bytes 0..3 (scale) and 4..7 (min).
 *
 * <p>The kernels read the 12 bytes with two loads, bytes 0..7 as a little-endian long and 8..11 as an int
 * ({@link #first8}, {@link #last4}), and take the fields apart with shifts: reading them byte by byte from the
 * segment, each read bounds-checked, cost more than half of a Q4_K matVec.
 */
final class KQuantScales {

    private KQuantScales() {
    }

    /** Bytes 0..7 of the scales field at {@code scalesOffset}, little-endian. */
    static long first8(MemorySegment segment, long scalesOffset) {
        return segment.get(Bytes.LONG_LE, scalesOffset);
    }

    /** Bytes 8..11 of the scales field at {@code scalesOffset}, little-endian. */
    static int last4(MemorySegment segment, long scalesOffset) {
        return segment.get(Bytes.INT_LE, scalesOffset + 8);
    }

    /** The 6-bit scale of sub-block {@code subBlock} (0..7). */
    static int scale(long first8, int last4, int subBlock) {
        if (subBlock < 4) {
            return (int) (first8 >>> (8 * subBlock)) & 63;
        }
        int low = (last4 >>> (8 * (subBlock - 4))) & 0x0F;
        int high = (int) (first8 >>> (8 * (subBlock - 4) + 6)) & 3;
        return low | high << 4;
    }

    /** The 6-bit min of sub-block {@code subBlock} (0..7). */
    static int min(long first8, int last4, int subBlock) {
        if (subBlock < 4) {
            return (int) (first8 >>> (8 * (subBlock + 4))) & 63;
        }
        int low = (last4 >>> (8 * (subBlock - 4) + 4)) & 0x0F;
        int high = (int) (first8 >>> (8 * subBlock + 6)) & 3;
        return low | high << 4;
    }

    /**
     * The 8 scales as the bytes of a long, sub-block j in byte j (each 0..63), taken apart with a few whole-word
     * operations instead of per-field shifts.
     */
    static long scales(long first8, int last4) {
        int low = (int) first8;
        int scales0123 = low & 0x3F3F3F3F;
        int scales4567 = (last4 & 0x0F0F0F0F) | ((low >>> 2) & 0x30303030);
        return (scales0123 & 0xFFFFFFFFL) | ((long) scales4567 << 32);
    }

    /** The 8 mins as the bytes of a long, sub-block j in byte j (each 0..63); see {@link #scales(long, int)}. */
    static long mins(long first8, int last4) {
        int high = (int) (first8 >>> 32);
        int mins0123 = high & 0x3F3F3F3F;
        int mins4567 = ((last4 >>> 4) & 0x0F0F0F0F) | ((high >>> 2) & 0x30303030);
        return (mins0123 & 0xFFFFFFFFL) | ((long) mins4567 << 32);
    }

    /** Per-block stride of {@link #subBlockSums}: one float vector, so a block's 8 sums load as one. */
    static final int SUMS_STRIDE = Lanes.COUNT;

    /**
     * For each of {@code blocks} super-blocks of {@code x[xOffset ...]}, the sums of its 8 sub-blocks of 32 in
     * {@code sums[block * SUMS_STRIDE + j]}, j = 0..7, and zeros in the rest of the stride; added left to right in
     * scalar code, so the same compiled or interpreted.
     */
    static void subBlockSums(float[] x, int xOffset, int blocks, float[] sums) {
        for (int block = 0; block < blocks; block++) {
            for (int j = 0; j < SUMS_STRIDE; j++) {
                float sum = 0f;
                if (j < 8) {
                    int start = xOffset + block * 256 + j * 32;
                    for (int i = 0; i < 32; i++) {
                        sum += x[start + i];
                    }
                }
                sums[block * SUMS_STRIDE + j] = sum;
            }
        }
    }
}
