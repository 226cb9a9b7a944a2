package dev.ggufserve.gguf;

import java.util.Optional;

/**
 * The ggml tensor types gguf-serve can read. Ids, block sizes and block byte sizes follow ggml's
 * {@code ggml_type} enum and {@code ggml-common.h} (e.g. a Q4_K block holds 256 weights in 144 bytes).
 */
public enum GgmlType {
    F32(0, 1, 4),
    F16(1, 1, 2),
    Q4_0(2, 32, 18),
    Q8_0(8, 32, 34),
    Q4_K(12, 256, 144),
    Q5_K(13, 256, 176),
    Q6_K(14, 256, 210),
    BF16(30, 1, 2);

    private final int id;
    private final int blockSize;
    private final int blockBytes;

    GgmlType(int id, int blockSize, int blockBytes) {
        this.id = id;
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
    }

    /** ggml's numeric id of this type, as stored in a GGUF tensor record. */
    public int id() {
        return id;
    }

    /** Number of weights in one block. */
    public int blockSize() {
        return blockSize;
    }

    /** Bytes one block occupies in the file. */
    public int blockBytes() {
        return blockBytes;
    }

    /** Bytes needed for {@code elements} weights; {@code elements} must be a multiple of the block size. */
    public long bytesFor(long elements) {
        return elements / blockSize * blockBytes;
    }

    public static Optional<GgmlType> byId(int id) {
        for (GgmlType type : values()) {
            if (type.id == id) {
                return Optional.of(type);
            }
        }
        return Optional.empty();
    }
}
