package dev.ggufserve.tensor;

import java.lang.foreign.MemorySegment;

/**
 * The 12 scale bytes of a Q4_K or Q5_K super-block hold a 6-bit scale and a 6-bit min for each of its 8
 * sub-blocks (ggml's {@code get_scale_min_k4}). Sub-blocks 0..3 use the low 6 bits of bytes 0..3 (scale)
 * and 4..7 (min); sub-blocks 4..7 take their low 4 bits from a nibble of bytes 8..11 and their top 2 bits
 * from the spare top bits of bytes 0..3 (scale) and 4..7 (min).
 */
final class KQuantScales {

    private KQuantScales() {
    }

    /** The 6-bit scale of sub-block {@code subBlock} (0..7); {@code scalesOffset} points at the 12 bytes. */
    static int scale(MemorySegment segment, long scalesOffset, int subBlock) {
        if (subBlock < 4) {
            return Bytes.unsignedByte(segment, scalesOffset + subBlock) & 63;
        }
        int low = Bytes.unsignedByte(segment, scalesOffset + subBlock + 4) & 0x0F;
        int high = Bytes.unsignedByte(segment, scalesOffset + subBlock - 4) >> 6;
        return low | high << 4;
    }

    /** The 6-bit min of sub-block {@code subBlock} (0..7); {@code scalesOffset} points at the 12 bytes. */
    static int min(MemorySegment segment, long scalesOffset, int subBlock) {
        if (subBlock < 4) {
            return Bytes.unsignedByte(segment, scalesOffset + subBlock + 4) & 63;
        }
        int low = Bytes.unsignedByte(segment, scalesOffset + subBlock + 4) >> 4;
        int high = Bytes.unsignedByte(segment, scalesOffset + subBlock) >> 6;
        return low | high << 4;
    }
}
