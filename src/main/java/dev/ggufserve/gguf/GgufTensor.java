package dev.ggufserve.gguf;

import java.lang.foreign.MemorySegment;

/**
 * One tensor of a GGUF file: its bytes stay in the memory-mapped file.
 *
 * @param dims ggml order: {@code dims[0]} is the fastest-varying dimension (the columns of a matrix)
 * @param data exactly the tensor's bytes, a slice of the file mapping, which stays mapped while this slice is
 *             reachable ({@link GgufFile})
 */
public record GgufTensor(String name, long[] dims, GgmlType type, MemorySegment data) {

    public long elementCount() {
        long count = 1;
        for (long dim : dims) {
            count *= dim;
        }
        return count;
    }
}
