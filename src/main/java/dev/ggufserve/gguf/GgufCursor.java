package dev.ggufserve.gguf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Reads the little-endian primitives of a GGUF header one after another from the mapped file. Every read is
 * checked against the end of the file first, so a truncated or lying file gives a {@link ModelFileException}
 * that says what was being read and where, instead of an out-of-bounds access.
 *
 * <p>Each read takes {@code what}, a short description of the field ("tensor count", "name of tensor #3"),
 * used only in error messages.
 */
final class GgufCursor {

    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path file;
    private final MemorySegment bytes;
    /** Strict: malformed UTF-8 is an error, not silently replaced by U+FFFD. */
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    private long position;

    GgufCursor(Path file, MemorySegment bytes) {
        this.file = file;
        this.bytes = bytes;
    }

    long position() {
        return position;
    }

    long remaining() {
        return bytes.byteSize() - position;
    }

    byte readByte(String what) {
        require(1, what);
        byte value = bytes.get(ValueLayout.JAVA_BYTE, position);
        position += 1;
        return value;
    }

    short readU16(String what) {
        require(2, what);
        short value = bytes.get(U16, position);
        position += 2;
        return value;
    }

    /** A uint32 or int32 as its raw 32 bits; callers decide whether they are signed. */
    int readU32(String what) {
        require(4, what);
        int value = bytes.get(U32, position);
        position += 4;
        return value;
    }

    /** A uint64 or int64 as its raw 64 bits; callers decide whether they are signed. */
    long readU64(String what) {
        require(8, what);
        long value = bytes.get(U64, position);
        position += 8;
        return value;
    }

    float readF32(String what) {
        require(4, what);
        float value = bytes.get(F32, position);
        position += 4;
        return value;
    }

    double readF64(String what) {
        require(8, what);
        double value = bytes.get(F64, position);
        position += 8;
        return value;
    }

    /** A GGUF string: uint64 byte length, then that many bytes of UTF-8 (no terminator). */
    String readString(String what) {
        long start = position;
        long length = readU64("length of " + what);
        if (Long.compareUnsigned(length, remaining()) > 0) {
            throw problem(what + " at offset " + start + " claims " + Long.toUnsignedString(length)
                    + " bytes but only " + remaining() + " bytes are left in the file");
        }
        if (length > Integer.MAX_VALUE - 8) {
            throw problem(what + " at offset " + start + " is " + length + " bytes long, too long for a string");
        }
        try {
            String value = utf8.decode(bytes.asSlice(position, length).asByteBuffer()).toString();
            position += length;
            return value;
        } catch (CharacterCodingException e) {
            throw problem(what + " at offset " + start + " is not valid UTF-8");
        }
    }

    /** Fails unless {@code count} more bytes can be read. */
    void require(long count, String what) {
        if (count > remaining()) {
            throw problem("file is truncated: " + what + " needs " + count + " bytes at offset " + position
                    + " but the file ends at " + bytes.byteSize());
        }
    }

    ModelFileException problem(String message) {
        return new ModelFileException(file, message);
    }
}
