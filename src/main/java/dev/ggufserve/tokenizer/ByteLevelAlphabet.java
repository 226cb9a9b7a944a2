package dev.ggufserve.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * GPT-2's byte-to-unicode mapping, which byte-level BPE vocabularies are written in: every byte value stands
 * for one printable character, so that any byte string becomes a string without spaces or control characters
 * (a space is "Ġ", U+0120; a newline "Ċ", U+010A). Printable Latin-1 bytes stand for themselves, the other 68
 * byte values for U+0100 onwards in byte order. Every character of the alphabet fits in one Java char.
 */
final class ByteLevelAlphabet {

    private static final char[] CHAR_OF_BYTE = new char[256];
    /** The byte of each alphabet character, indexed by char; -1 for characters outside the alphabet. */
    private static final short[] BYTE_OF_CHAR;

    static {
        int next = 256;
        for (int value = 0; value < 256; value++) {
            boolean printable = (value >= '!' && value <= '~') || (value >= 0xA1 && value <= 0xAC)
                    || (value >= 0xAE && value <= 0xFF);
            CHAR_OF_BYTE[value] = (char) (printable ? value : next++);
        }
        BYTE_OF_CHAR = new short[next];
        Arrays.fill(BYTE_OF_CHAR, (short) -1);
        for (int value = 0; value < 256; value++) {
            BYTE_OF_CHAR[CHAR_OF_BYTE[value]] = (short) value;
        }
    }

    private ByteLevelAlphabet() {
    }

    /** The UTF-8 bytes of {@code text} written in the alphabet: one character per byte. */
    static String encode(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        char[] chars = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            chars[i] = CHAR_OF_BYTE[bytes[i] & 0xFF];
        }
        return new String(chars);
    }

    /**
     * The bytes a vocabulary entry written in the alphabet stands for. A character outside the alphabet (a
     * converter wrote the entry as plain text) stands for its own UTF-8 bytes.
     */
    static byte[] decode(String entry) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(entry.length());
        for (int i = 0; i < entry.length(); ) {
            int codePoint = entry.codePointAt(i);
            if (codePoint < BYTE_OF_CHAR.length && BYTE_OF_CHAR[codePoint] >= 0) {
                bytes.write(BYTE_OF_CHAR[codePoint]);
            } else {
                bytes.writeBytes(new String(Character.toChars(codePoint)).getBytes(StandardCharsets.UTF_8));
            }
            i += Character.charCount(codePoint);
        }
        return bytes.toByteArray();
    }
}
