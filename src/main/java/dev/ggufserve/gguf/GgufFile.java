package dev.ggufserve.gguf;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A GGUF model file (versions 2 and 3), memory-mapped read-only. The header (metadata and tensor infos) is parsed
 * once on {@link #open}; tensor data is never copied: each {@link GgufTensor#data()} is a slice of the mapping.
 *
 * <p>The mapping belongs to an automatic arena ({@link Arena#ofAuto()}): it stays mapped while anything can still
 * read it (this object or any tensor slice, e.g. an engine's weights) and is unmapped by the garbage collector's
 * cleaner once nothing can. A served model is therefore mapped for the life of the process, and the many files a
 * test run opens are unmapped as they become garbage. There is no explicit unmapping: {@link #close()} only ends
 * lookups through this object. A shared arena, which could be closed, is what GraalVM native-image cannot combine
 * with its Vector API support (docs/NATIVE.md, "Memory-mapped weights"); an automatic one works the same on the
 * JVM and in a native executable, and a slice can never be read after its memory was unmapped.
 *
 * <p>Layout (GGUF spec, little-endian): magic "GGUF", uint32 version, uint64 tensor count, uint64 metadata count,
 * the metadata key/value pairs, the tensor infos, padding up to {@code general.alignment} (default 32), then the
 * data section, which the tensor offsets are relative to. Versions 2 and 3 share this layout (version 1 used 32-bit
 * counts and lengths).
 *
 * <p>Every problem with the file is reported as one {@link ModelFileException} naming the file.
 */
public final class GgufFile implements AutoCloseable {

    /** "GGUF" read as a little-endian uint32. */
    private static final int MAGIC = 0x46554747;
    private static final long DEFAULT_ALIGNMENT = 32;
    private static final int MAX_DIMS = 4;
    /**
     * The largest metadata array accepted. Real models stay far below (vocabularies and merge lists hold a few
     * hundred thousand entries); the cap keeps a corrupt count in a multi-gigabyte file from exhausting the heap
     * with boxed values.
     */
    private static final long MAX_ARRAY_ELEMENTS = 1L << 24;
    /** Smallest possible metadata pair: empty key (8), value type (4), one-byte value (1). */
    private static final long MIN_METADATA_PAIR_BYTES = 13;
    /** Smallest possible tensor info: empty name (8), n_dims (4), one dim (8), type (4), offset (8). */
    private static final long MIN_TENSOR_INFO_BYTES = 32;
    /** Names of ggml types (ggml.h {@code enum ggml_type}) that gguf-serve cannot compute with. */
    private static final Map<Integer, String> UNSUPPORTED_GGML_TYPES = Map.ofEntries(
            Map.entry(3, "Q4_1"), Map.entry(6, "Q5_0"), Map.entry(7, "Q5_1"), Map.entry(9, "Q8_1"),
            Map.entry(10, "Q2_K"), Map.entry(11, "Q3_K"), Map.entry(15, "Q8_K"), Map.entry(16, "IQ2_XXS"),
            Map.entry(17, "IQ2_XS"), Map.entry(18, "IQ3_XXS"), Map.entry(19, "IQ1_S"), Map.entry(20, "IQ4_NL"),
            Map.entry(21, "IQ3_S"), Map.entry(22, "IQ2_S"), Map.entry(23, "IQ4_XS"), Map.entry(24, "I8"),
            Map.entry(25, "I16"), Map.entry(26, "I32"), Map.entry(27, "I64"), Map.entry(28, "F64"),
            Map.entry(29, "IQ1_M"), Map.entry(34, "TQ1_0"), Map.entry(35, "TQ2_0"), Map.entry(39, "MXFP4"));

    private final Path path;
    private final int version;
    private final long alignment;
    private final GgufMetadata metadata;
    private final Map<String, GgufTensor> tensors;
    /** Set by {@link #close()}; read by lookups on any thread. */
    private volatile boolean closed;

    private GgufFile(Path path, int version, long alignment, GgufMetadata metadata, Map<String, GgufTensor> tensors) {
        this.path = path;
        this.version = version;
        this.alignment = alignment;
        this.metadata = metadata;
        this.tensors = Collections.unmodifiableMap(tensors);
    }

    /** Maps and parses the file; throws {@link ModelFileException} for any file that is not a valid GGUF. */
    public static GgufFile open(Path path) {
        if (!Files.exists(path)) {
            throw new ModelFileException(path, "file not found");
        }
        if (!Files.isRegularFile(path)) {
            throw new ModelFileException(path, "not a regular file");
        }
        if (!Files.isReadable(path)) {
            throw new ModelFileException(path, "file is not readable");
        }
        try {
            MemorySegment mapped;
            // The channel (and its file descriptor) is closed at once; the mapping does not need it.
            try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
                mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), Arena.ofAuto());
            }
            // A file refused below leaves its mapping unreachable, to be unmapped like any other garbage.
            return parse(path, mapped);
        } catch (IOException e) {
            throw new ModelFileException(path, "cannot read the file: " + e.getMessage(), e);
        } catch (ModelFileException e) {
            throw e;
        } catch (RuntimeException e) {
            // The explicit checks should make this unreachable; if one was missed, the caller still gets
            // one ModelFileException naming the file rather than an unexplained runtime exception.
            throw new ModelFileException(path, "malformed GGUF file (" + e + ")", e);
        }
    }

    private static GgufFile parse(Path path, MemorySegment mapped) {
        GgufCursor cursor = new GgufCursor(path, mapped);
        int magic = cursor.readU32("magic");
        if (magic != MAGIC) {
            throw cursor.problem("not a GGUF file: it starts with bytes " + hexBytes(magic) + " instead of 'GGUF'");
        }
        int version = readVersion(cursor);
        long tensorCount = readCount(cursor, "tensor count", MIN_TENSOR_INFO_BYTES);
        long metadataCount = readCount(cursor, "metadata count", MIN_METADATA_PAIR_BYTES);

        Map<String, Object> values = new LinkedHashMap<>();
        for (long i = 0; i < metadataCount; i++) {
            String key = cursor.readString("key of metadata pair #" + i);
            if (values.containsKey(key)) {
                throw cursor.problem("duplicate metadata key '" + key + "'");
            }
            values.put(key, readValue(cursor, key));
        }
        GgufMetadata metadata = new GgufMetadata(path, values);

        List<TensorInfo> infos = new ArrayList<>();
        for (long i = 0; i < tensorCount; i++) {
            infos.add(readTensorInfo(cursor, i));
        }
        long alignment = readAlignment(cursor, metadata);
        long dataStart = alignUp(cursor.position(), alignment);

        Map<String, GgufTensor> tensors = new LinkedHashMap<>();
        for (TensorInfo info : infos) {
            if (tensors.containsKey(info.name())) {
                throw cursor.problem("duplicate tensor name '" + info.name() + "'");
            }
            tensors.put(info.name(), sliceTensor(cursor, info, mapped, dataStart, alignment));
        }
        return new GgufFile(path, version, alignment, metadata, tensors);
    }

    private static int readVersion(GgufCursor cursor) {
        int version = cursor.readU32("version");
        if (version == 2 || version == 3) {
            return version;
        }
        // A big-endian GGUF (allowed since v3) has its small version number in the high bytes when read as LE.
        if ((version & 0xFFFF) == 0 && version != 0) {
            throw cursor.problem("big-endian GGUF files are not supported (only little-endian)");
        }
        throw cursor.problem("unsupported GGUF version " + Integer.toUnsignedString(version)
                + " (supported: 2 and 3)");
    }

    /** A uint64 count of entries, each taking at least {@code minEntryBytes}: rejected if it cannot fit. */
    private static long readCount(GgufCursor cursor, String what, long minEntryBytes) {
        long count = cursor.readU64(what);
        if (Long.compareUnsigned(count, cursor.remaining() / minEntryBytes) > 0) {
            throw cursor.problem(what + " " + Long.toUnsignedString(count) + " is impossible: only "
                    + cursor.remaining() + " bytes are left in the file");
        }
        return count;
    }

    private static Object readValue(GgufCursor cursor, String key) {
        int typeId = cursor.readU32("value type of metadata key '" + key + "'");
        GgufValueType type = GgufValueType.byId(Integer.toUnsignedLong(typeId)).orElseThrow(() -> cursor.problem(
                "metadata key '" + key + "' has unknown value type " + Integer.toUnsignedString(typeId)));
        if (type == GgufValueType.ARRAY) {
            return readArray(cursor, key);
        }
        return readScalar(cursor, type, "value of metadata key '" + key + "'");
    }

    private static List<Object> readArray(GgufCursor cursor, String key) {
        int elementTypeId = cursor.readU32("element type of metadata array '" + key + "'");
        GgufValueType elementType = GgufValueType.byId(Integer.toUnsignedLong(elementTypeId))
                .orElseThrow(() -> cursor.problem("metadata array '" + key + "' has unknown element type "
                        + Integer.toUnsignedString(elementTypeId)));
        if (elementType == GgufValueType.ARRAY) {
            throw cursor.problem("metadata array '" + key + "' holds arrays, which gguf-serve does not support");
        }
        long count = cursor.readU64("element count of metadata array '" + key + "'");
        if (Long.compareUnsigned(count, cursor.remaining() / elementType.minimumBytes()) > 0) {
            throw cursor.problem("metadata array '" + key + "' claims " + Long.toUnsignedString(count) + " "
                    + elementType + " elements but only " + cursor.remaining() + " bytes are left in the file");
        }
        if (count > MAX_ARRAY_ELEMENTS) {
            throw cursor.problem("metadata array '" + key + "' has " + count + " elements, more than the "
                    + MAX_ARRAY_ELEMENTS + " gguf-serve accepts");
        }
        String what = "element of metadata array '" + key + "'";
        List<Object> elements = new ArrayList<>((int) count);
        for (long i = 0; i < count; i++) {
            elements.add(readScalar(cursor, elementType, what));
        }
        return Collections.unmodifiableList(elements);
    }

    /** One non-array value, represented as {@link GgufMetadata} documents. */
    private static Object readScalar(GgufCursor cursor, GgufValueType type, String what) {
        return switch (type) {
            case UINT8 -> Byte.toUnsignedLong(cursor.readByte(what));
            case INT8 -> (long) cursor.readByte(what);
            case UINT16 -> Short.toUnsignedLong(cursor.readU16(what));
            case INT16 -> (long) cursor.readU16(what);
            case UINT32 -> Integer.toUnsignedLong(cursor.readU32(what));
            case INT32 -> (long) cursor.readU32(what);
            case UINT64, INT64 -> cursor.readU64(what);
            case FLOAT32 -> (double) cursor.readF32(what);
            case FLOAT64 -> cursor.readF64(what);
            case BOOL -> readBool(cursor, what);
            case STRING -> cursor.readString(what);
            case ARRAY -> throw new IllegalArgumentException("arrays are read by readArray");
        };
    }

    private static Boolean readBool(GgufCursor cursor, String what) {
        byte value = cursor.readByte(what);
        if (value != 0 && value != 1) {
            throw cursor.problem(what + " is a bool stored as " + value + " (must be 0 or 1)");
        }
        return value == 1;
    }

    /** A tensor as described in the header, before its data is located. */
    private record TensorInfo(String name, long[] dims, long elements, GgmlType type, long offset) {
    }

    private static TensorInfo readTensorInfo(GgufCursor cursor, long index) {
        String name = cursor.readString("name of tensor #" + index);
        int dimCount = cursor.readU32("dimension count of tensor '" + name + "'");
        if (dimCount < 1 || dimCount > MAX_DIMS) {
            throw cursor.problem("tensor '" + name + "' has " + Integer.toUnsignedString(dimCount)
                    + " dimensions (must be 1 to " + MAX_DIMS + ")");
        }
        long[] dims = new long[dimCount];
        long elements = 1;
        for (int d = 0; d < dimCount; d++) {
            dims[d] = cursor.readU64("dimension " + d + " of tensor '" + name + "'");
            if (dims[d] <= 0) {
                throw cursor.problem("tensor '" + name + "' has dimension " + d + " of size "
                        + Long.toUnsignedString(dims[d]));
            }
            // An element count that overflows a long could never fit in a file.
            if (elements > Long.MAX_VALUE / dims[d]) {
                throw cursor.problem("tensor '" + name + "' has shape " + Arrays.toString(dims)
                        + ", too many elements");
            }
            elements *= dims[d];
        }
        int typeId = cursor.readU32("type of tensor '" + name + "'");
        GgmlType type = GgmlType.byId(typeId).orElseThrow(() -> cursor.problem(unsupportedTypeMessage(name, typeId)));
        long offset = cursor.readU64("data offset of tensor '" + name + "'");
        if (dims[0] % type.blockSize() != 0) {
            throw cursor.problem("tensor '" + name + "' has rows of " + dims[0] + " elements, not a multiple of the "
                    + type + " block size " + type.blockSize());
        }
        return new TensorInfo(name, dims, elements, type, offset);
    }

    private static String unsupportedTypeMessage(String tensor, int typeId) {
        String ggmlName = UNSUPPORTED_GGML_TYPES.get(typeId);
        if (ggmlName == null) {
            return "tensor '" + tensor + "' has unknown ggml type id " + Integer.toUnsignedString(typeId);
        }
        return "tensor '" + tensor + "' has type " + ggmlName + " (" + typeId + "), which gguf-serve does not support";
    }

    private static long readAlignment(GgufCursor cursor, GgufMetadata metadata) {
        Optional<Object> value = metadata.get("general.alignment");
        if (value.isEmpty()) {
            return DEFAULT_ALIGNMENT;
        }
        if (!(value.get() instanceof Long alignment)) {
            throw cursor.problem("general.alignment must be an integer but is " + value.get());
        }
        if (alignment <= 0 || Long.bitCount(alignment) != 1) {
            throw cursor.problem("general.alignment " + Long.toUnsignedString(alignment)
                    + " is not a power of two");
        }
        return alignment;
    }

    private static GgufTensor sliceTensor(GgufCursor cursor, TensorInfo info, MemorySegment mapped, long dataStart,
            long alignment) {
        long blocks = info.elements() / info.type().blockSize();
        // A shape whose byte size overflows a long cannot fit in the file: saturate instead of wrapping around.
        long byteSize = blocks > Long.MAX_VALUE / info.type().blockBytes()
                ? Long.MAX_VALUE
                : info.type().bytesFor(info.elements());
        long dataBytes = Math.max(0, mapped.byteSize() - dataStart);
        if (byteSize > dataBytes || Long.compareUnsigned(info.offset(), dataBytes - byteSize) > 0) {
            throw cursor.problem("tensor '" + info.name() + "' (" + byteSize + " bytes at data offset "
                    + Long.toUnsignedString(info.offset()) + ") extends past the end of the file: the data section"
                    + " holds " + dataBytes + " bytes (truncated file?)");
        }
        if (info.offset() % alignment != 0) {
            throw cursor.problem("tensor '" + info.name() + "' starts at data offset " + info.offset()
                    + ", which is not a multiple of the alignment " + alignment);
        }
        return new GgufTensor(info.name(), info.dims(), info.type(), mapped.asSlice(dataStart + info.offset(), byteSize));
    }

    private static long alignUp(long position, long alignment) {
        return (position + alignment - 1) / alignment * alignment;
    }

    private static String hexBytes(int littleEndianWord) {
        return String.format("%02x %02x %02x %02x", littleEndianWord & 0xFF, (littleEndianWord >>> 8) & 0xFF,
                (littleEndianWord >>> 16) & 0xFF, littleEndianWord >>> 24);
    }

    public Path path() {
        return path;
    }

    public int version() {
        return version;
    }

    /** Alignment of the data section and of every tensor's offset in it ({@code general.alignment}, default 32). */
    public long alignment() {
        return alignment;
    }

    public GgufMetadata metadata() {
        return metadata;
    }

    /** All tensors by name, in file order. */
    public Map<String, GgufTensor> tensors() {
        checkOpen();
        return tensors;
    }

    public Optional<GgufTensor> tensor(String name) {
        checkOpen();
        return Optional.ofNullable(tensors.get(name));
    }

    /**
     * The named tensor, checked to have exactly {@code expectedDims} (ggml order, {@code dims[0]} the row length).
     * With no {@code expectedDims} only its presence is checked.
     */
    public GgufTensor requireTensor(String name, long... expectedDims) {
        checkOpen();
        GgufTensor tensor = tensors.get(name);
        if (tensor == null) {
            throw new ModelFileException(path, "missing tensor '" + name + "'");
        }
        if (expectedDims.length > 0 && !Arrays.equals(tensor.dims(), expectedDims)) {
            throw new ModelFileException(path, "tensor '" + name + "' has shape " + Arrays.toString(tensor.dims())
                    + " but the model needs " + Arrays.toString(expectedDims));
        }
        return tensor;
    }

    /** The model architecture ({@code general.architecture}, e.g. "llama" or "phi3"); required. */
    public String architecture() {
        return metadata.requireString("general.architecture");
    }

    /**
     * Ends tensor lookups through this object ({@link #tensors()}, {@link #tensor}, {@link #requireTensor} throw
     * {@link IllegalStateException} afterwards); the metadata stays readable. Unmaps nothing: tensors taken before
     * stay readable, and the mapping goes when the last of them, and this object, are garbage.
     */
    @Override
    public void close() {
        closed = true;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("model file " + path + " is closed");
        }
    }
}
