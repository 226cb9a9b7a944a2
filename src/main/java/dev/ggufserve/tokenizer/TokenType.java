package dev.ggufserve.tokenizer;

/** The kind of a vocabulary entry, as stored in {@code tokenizer.ggml.token_type}. */
enum TokenType {
    NORMAL,
    UNKNOWN,
    CONTROL,
    USER_DEFINED,
    UNUSED,
    BYTE;

    /** The type for a GGUF code (1 normal ... 6 byte); other codes are treated as normal. */
    static TokenType fromCode(long code) {
        return switch ((int) code) {
            case 2 -> UNKNOWN;
            case 3 -> CONTROL;
            case 4 -> USER_DEFINED;
            case 5 -> UNUSED;
            case 6 -> BYTE;
            default -> NORMAL;
        };
    }

    /** Control, user-defined and unknown tokens are the ones llama.cpp looks for in the text before merging. */
    boolean isSpecial() {
        return this == CONTROL || this == USER_DEFINED || this == UNKNOWN;
    }
}
