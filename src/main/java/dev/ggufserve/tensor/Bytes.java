package dev.ggufserve.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Scalar little-endian reads from a weight segment. GGUF stores every multi-byte field little-endian. */
final class Bytes {

    static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Bytes() {
    }

    /** The byte at {@code offset} read as unsigned, 0..255. */
    static int unsignedByte(MemorySegment segment, long offset) {
        return segment.get(ValueLayout.JAVA_BYTE, offset) & 0xFF;
    }

    /** The byte at {@code offset} read as signed, -128..127. */
    static int signedByte(MemorySegment segment, long offset) {
        return segment.get(ValueLayout.JAVA_BYTE, offset);
    }

    /** The IEEE half-precision float stored at {@code offset}. */
    static float float16(MemorySegment segment, long offset) {
        return Float.float16ToFloat(segment.get(SHORT_LE, offset));
    }

    /** The bfloat16 stored at {@code offset}: the upper 16 bits of an IEEE single. */
    static float bfloat16(MemorySegment segment, long offset) {
        return Float.intBitsToFloat(segment.get(SHORT_LE, offset) << 16);
    }

    static float float32(MemorySegment segment, long offset) {
        return segment.get(FLOAT_LE, offset);
    }
}
