package dev.ggufserve.testing;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Appends little-endian GGUF primitives to a growing byte array. */
final class LittleEndianOutput {

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    int size() {
        return bytes.size();
    }

    LittleEndianOutput u8(int value) {
        bytes.write(value);
        return this;
    }

    LittleEndianOutput u16(int value) {
        return u8(value).u8(value >>> 8);
    }

    LittleEndianOutput u32(int value) {
        return u16(value).u16(value >>> 16);
    }

    LittleEndianOutput u64(long value) {
        return u32((int) value).u32((int) (value >>> 32));
    }

    LittleEndianOutput f32(float value) {
        return u32(Float.floatToRawIntBits(value));
    }

    LittleEndianOutput f64(double value) {
        return u64(Double.doubleToRawLongBits(value));
    }

    /** A GGUF string: uint64 byte length, then the UTF-8 bytes. */
    LittleEndianOutput string(String value) {
        byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
        return u64(utf8.length).bytes(utf8);
    }

    LittleEndianOutput bytes(byte[] values) {
        bytes.writeBytes(values);
        return this;
    }

    /** Zero bytes up to the next multiple of {@code alignment}. */
    LittleEndianOutput padTo(long alignment) {
        while (bytes.size() % alignment != 0) {
            bytes.write(0);
        }
        return this;
    }

    byte[] toByteArray() {
        return bytes.toByteArray();
    }
}
