package dev.ggufserve.testing;

import dev.ggufserve.gguf.GgmlType;
import dev.ggufserve.gguf.GgufValueType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes GGUF files for tests: metadata of every value type and tensors of every {@link GgmlType}, quantized
 * from floats by {@link Quantizer}.
 *
 * <pre>{@code
 * new GgufWriter()
 *         .putString("general.architecture", "llama")
 *         .putUint32("llama.block_count", 2)
 *         .addTensor("output_norm.weight", GgmlType.F32, new long[] {64}, weights)
 *         .write(path);
 * }</pre>
 *
 * <p>It writes exactly what it is given, in order, duplicates included, so tests can also build invalid files.
 * {@code putUint32("general.alignment", n)} writes only the key; {@link #alignment(int)} also lays the file out
 * with that alignment.
 */
public final class GgufWriter {

    private record Entry(String key, GgufValueType type, GgufValueType elementType, Object value) {
    }

    private record Tensor(String name, long[] dims, int typeId, byte[] data) {
    }

    private final List<Entry> entries = new ArrayList<>();
    private final List<Tensor> tensors = new ArrayList<>();
    private int version = 3;
    private int alignment = 32;

    /** The GGUF version written: 3 (default) or 2, which has the same layout. */
    public GgufWriter version(int version) {
        this.version = version;
        return this;
    }

    /** Pads the tensor infos and every tensor to {@code alignment} bytes and records it in general.alignment. */
    public GgufWriter alignment(int alignment) {
        this.alignment = alignment;
        return putUint32("general.alignment", alignment);
    }

    public GgufWriter putUint8(String key, int value) {
        return scalar(key, GgufValueType.UINT8, value);
    }

    public GgufWriter putInt8(String key, int value) {
        return scalar(key, GgufValueType.INT8, value);
    }

    public GgufWriter putUint16(String key, int value) {
        return scalar(key, GgufValueType.UINT16, value);
    }

    public GgufWriter putInt16(String key, int value) {
        return scalar(key, GgufValueType.INT16, value);
    }

    /** The low 32 bits of {@code value}. */
    public GgufWriter putUint32(String key, long value) {
        return scalar(key, GgufValueType.UINT32, value);
    }

    public GgufWriter putInt32(String key, int value) {
        return scalar(key, GgufValueType.INT32, value);
    }

    /** The 64 bits of {@code value}, read back unsigned. */
    public GgufWriter putUint64(String key, long value) {
        return scalar(key, GgufValueType.UINT64, value);
    }

    public GgufWriter putInt64(String key, long value) {
        return scalar(key, GgufValueType.INT64, value);
    }

    public GgufWriter putFloat32(String key, float value) {
        return scalar(key, GgufValueType.FLOAT32, value);
    }

    public GgufWriter putFloat64(String key, double value) {
        return scalar(key, GgufValueType.FLOAT64, value);
    }

    public GgufWriter putBool(String key, boolean value) {
        return scalar(key, GgufValueType.BOOL, value);
    }

    public GgufWriter putString(String key, String value) {
        return scalar(key, GgufValueType.STRING, value);
    }

    /**
     * An array of {@code elementType}: Numbers for the numeric types (narrowed to the type's width), Booleans for
     * BOOL, Strings for STRING.
     */
    public GgufWriter putArray(String key, GgufValueType elementType, List<?> elements) {
        if (elementType == GgufValueType.ARRAY) {
            throw new IllegalArgumentException("GGUF arrays of arrays are not supported");
        }
        entries.add(new Entry(key, GgufValueType.ARRAY, elementType, List.copyOf(elements)));
        return this;
    }

    public GgufWriter putStringArray(String key, List<String> elements) {
        return putArray(key, GgufValueType.STRING, elements);
    }

    public GgufWriter putFloat32Array(String key, float[] elements) {
        List<Float> boxed = new ArrayList<>(elements.length);
        for (float element : elements) {
            boxed.add(element);
        }
        return putArray(key, GgufValueType.FLOAT32, boxed);
    }

    public GgufWriter putInt32Array(String key, int[] elements) {
        List<Integer> boxed = new ArrayList<>(elements.length);
        for (int element : elements) {
            boxed.add(element);
        }
        return putArray(key, GgufValueType.INT32, boxed);
    }

    /** A tensor of {@code type} holding {@code values} (ggml order: dims[0] varies fastest), quantized as needed. */
    public GgufWriter addTensor(String name, GgmlType type, long[] dims, float[] values) {
        long elements = 1;
        for (long dim : dims) {
            elements *= dim;
        }
        if (elements != values.length) {
            throw new IllegalArgumentException("tensor '" + name + "' has " + elements + " elements but "
                    + values.length + " values were given");
        }
        if (dims[0] % type.blockSize() != 0) {
            throw new IllegalArgumentException("tensor '" + name + "': rows of " + dims[0]
                    + " are not a whole number of " + type + " blocks");
        }
        return addRawTensor(name, type.id(), dims, Quantizer.quantize(type, values));
    }

    /** A tensor with the given ggml type id and bytes, unchecked (for files that should be rejected). */
    public GgufWriter addRawTensor(String name, int typeId, long[] dims, byte[] data) {
        tensors.add(new Tensor(name, dims.clone(), typeId, data.clone()));
        return this;
    }

    public byte[] toBytes() {
        LittleEndianOutput out = new LittleEndianOutput();
        out.u8('G').u8('G').u8('U').u8('F').u32(version).u64(tensors.size()).u64(entries.size());
        for (Entry entry : entries) {
            out.string(entry.key()).u32(entry.type().id());
            if (entry.type() == GgufValueType.ARRAY) {
                List<?> elements = (List<?>) entry.value();
                out.u32(entry.elementType().id()).u64(elements.size());
                for (Object element : elements) {
                    writeScalar(out, entry.elementType(), element);
                }
            } else {
                writeScalar(out, entry.type(), entry.value());
            }
        }
        long offset = 0;
        for (Tensor tensor : tensors) {
            out.string(tensor.name()).u32(tensor.dims().length);
            for (long dim : tensor.dims()) {
                out.u64(dim);
            }
            out.u32(tensor.typeId()).u64(offset);
            offset = alignUp(offset + tensor.data().length);
        }
        out.padTo(alignment);
        for (Tensor tensor : tensors) {
            out.bytes(tensor.data()).padTo(alignment);
        }
        return out.toByteArray();
    }

    public Path write(Path path) {
        try {
            Files.write(path, toBytes());
            return path;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private GgufWriter scalar(String key, GgufValueType type, Object value) {
        entries.add(new Entry(key, type, null, value));
        return this;
    }

    private static void writeScalar(LittleEndianOutput out, GgufValueType type, Object value) {
        switch (type) {
            case UINT8, INT8 -> out.u8(((Number) value).intValue());
            case UINT16, INT16 -> out.u16(((Number) value).intValue());
            case UINT32, INT32 -> out.u32(((Number) value).intValue());
            case UINT64, INT64 -> out.u64(((Number) value).longValue());
            case FLOAT32 -> out.f32(((Number) value).floatValue());
            case FLOAT64 -> out.f64(((Number) value).doubleValue());
            case BOOL -> out.u8((Boolean) value ? 1 : 0);
            case STRING -> out.string((String) value);
            case ARRAY -> throw new IllegalArgumentException("nested arrays are not supported");
        }
    }

    private long alignUp(long offset) {
        return (offset + alignment - 1) / alignment * alignment;
    }
}
