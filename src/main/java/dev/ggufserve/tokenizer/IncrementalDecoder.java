package dev.ggufserve.tokenizer;

/**
 * Decodes a stream of generated tokens into text, holding back the bytes of a UTF-8 character until
 * the token that completes it arrives.
 */
public interface IncrementalDecoder {

    /** The text completed by this token (possibly empty). */
    String accept(int tokenId);

    /** What is still held back at the end of the stream, with incomplete bytes as U+FFFD. */
    String finish();
}
