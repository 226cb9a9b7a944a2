package dev.ggufserve.gguf;

import java.util.Optional;

/**
 * The value types of GGUF metadata, with the numeric ids the format stores before each value
 * (GGUF spec, {@code gguf_metadata_value_type}).
 */
public enum GgufValueType {
    UINT8(0, 1),
    INT8(1, 1),
    UINT16(2, 2),
    INT16(3, 2),
    UINT32(4, 4),
    INT32(5, 4),
    FLOAT32(6, 4),
    BOOL(7, 1),
    /** uint64 byte length followed by that many UTF-8 bytes. */
    STRING(8, 8),
    /** uint32 element type, uint64 element count, then the elements. */
    ARRAY(9, 12),
    UINT64(10, 8),
    INT64(11, 8),
    FLOAT64(12, 8);

    private final int id;
    private final int minimumBytes;

    GgufValueType(int id, int minimumBytes) {
        this.id = id;
        this.minimumBytes = minimumBytes;
    }

    /** The id stored in the file. */
    public int id() {
        return id;
    }

    /**
     * The fewest bytes one value of this type occupies in the file (its exact size for the fixed-size types).
     * Lets a reader reject an array count that could not fit in the rest of the file before allocating.
     */
    public int minimumBytes() {
        return minimumBytes;
    }

    public static Optional<GgufValueType> byId(long id) {
        for (GgufValueType type : values()) {
            if (type.id == id) {
                return Optional.of(type);
            }
        }
        return Optional.empty();
    }
}
