package dev.ggufserve.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class Utf8StreamDecoderTest {

    /** Token i stands for the bytes {@code PIECES.get(i)}. */
    private static final List<byte[]> PIECES = List.of(
            new byte[] {'H', 'i'},
            new byte[] {(byte) 0xE2},               // first byte of "€" (E2 82 AC)
            new byte[] {(byte) 0x82},
            new byte[] {(byte) 0xAC, ' '},
            new byte[] {(byte) 0xFF},               // never valid in UTF-8
            new byte[0],                            // a control token
            new byte[] {(byte) 0xF0, (byte) 0x9F}); // the start of a 4-byte character

    private final Utf8StreamDecoder decoder = new Utf8StreamDecoder(PIECES::get);

    @Test
    void holdsBackACharacterUntilItIsComplete() {
        assertEquals("Hi", decoder.accept(0));
        assertEquals("", decoder.accept(1));
        assertEquals("", decoder.accept(2));
        assertEquals("€ ", decoder.accept(3));
        assertEquals("", decoder.finish());
    }

    @Test
    void replacesBytesThatCanNeverCompleteAtOnce() {
        assertEquals("\uFFFD", decoder.accept(4));
        assertEquals("Hi", decoder.accept(0));
        // E2 followed by 'H' can never be a character: the lead byte becomes U+FFFD, the text goes on.
        assertEquals("", decoder.accept(1));
        assertEquals("\uFFFDHi", decoder.accept(0));
    }

    @Test
    void tokensWithoutBytesGiveNothing() {
        assertEquals("", decoder.accept(5));
        assertEquals("Hi", decoder.accept(0));
    }

    @Test
    void finishReplacesAnIncompleteTail() {
        assertEquals("Hi", decoder.accept(0));
        assertEquals("", decoder.accept(6));
        assertEquals("\uFFFD", decoder.finish());
        assertEquals("Hi", decoder.accept(0));
    }
}
