package dev.ggufserve.tokenizer;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.IntFunction;

/**
 * Decodes the bytes of a token stream as UTF-8, holding back an incomplete character until the bytes that
 * complete it arrive. Bytes that can never form a character become U+FFFD at once, so a bad byte never
 * blocks the text after it. One instance per stream; not thread-safe.
 */
final class Utf8StreamDecoder implements IncrementalDecoder {

    private final IntFunction<byte[]> tokenBytes;
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE);
    /** The start of a character whose remaining bytes have not arrived yet (at most 3 bytes). */
    private byte[] heldBack = new byte[0];

    Utf8StreamDecoder(IntFunction<byte[]> tokenBytes) {
        this.tokenBytes = tokenBytes;
    }

    @Override
    public String accept(int tokenId) {
        byte[] piece = tokenBytes.apply(tokenId);
        if (piece.length == 0) {
            return "";
        }
        ByteBuffer input = ByteBuffer.allocate(heldBack.length + piece.length).put(heldBack).put(piece).flip();
        String text = decode(input, false);
        heldBack = Arrays.copyOfRange(input.array(), input.position(), input.limit());
        return text;
    }

    @Override
    public String finish() {
        String text = decode(ByteBuffer.wrap(heldBack), true);
        heldBack = new byte[0];
        utf8.reset();
        return text;
    }

    /**
     * Decodes what it can; without {@code endOfInput} the JDK decoder leaves the bytes of a character that
     * may still complete in {@code input}, and replaces only sequences that are already invalid.
     */
    private String decode(ByteBuffer input, boolean endOfInput) {
        // UTF-8 never yields more chars than bytes, plus one for a replaced incomplete tail.
        CharBuffer output = CharBuffer.allocate(input.remaining() + 1);
        utf8.decode(input, output, endOfInput);
        if (endOfInput) {
            utf8.flush(output);
        }
        return output.flip().toString();
    }
}
