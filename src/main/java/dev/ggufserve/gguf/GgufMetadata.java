package dev.ggufserve.gguf;

import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The key/value metadata of a GGUF file with typed look-ups.
 *
 * <p>Values as read: every integer type as {@link Long} (uint64 keeps its raw bits), float32/float64 as
 * {@link Double}, bool as {@link Boolean}, string as {@link String}, and arrays as {@link List} of those
 * (string arrays as {@code List<String>}, numeric arrays as {@code List<Long>} or {@code List<Double>}).
 */
public final class GgufMetadata {

    private final Path file;
    private final Map<String, Object> values;

    public GgufMetadata(Path file, Map<String, Object> values) {
        this.file = file;
        this.values = Collections.unmodifiableMap(values);
    }

    public Path file() {
        return file;
    }

    public Set<String> keys() {
        return values.keySet();
    }

    public boolean contains(String key) {
        return values.containsKey(key);
    }

    public Optional<Object> get(String key) {
        return Optional.ofNullable(values.get(key));
    }

    public Optional<String> getString(String key) {
        return typed(key, String.class);
    }

    public OptionalLong getLong(String key) {
        Optional<Long> value = typed(key, Long.class);
        return value.isPresent() ? OptionalLong.of(value.get()) : OptionalLong.empty();
    }

    /** A float or integer value as a double. */
    public Optional<Double> getDouble(String key) {
        Object value = values.get(key);
        if (value == null) {
            return Optional.empty();
        }
        if (value instanceof Number number) {
            return Optional.of(number.doubleValue());
        }
        throw wrongType(key, "a number", value);
    }

    public Optional<Boolean> getBoolean(String key) {
        return typed(key, Boolean.class);
    }

    @SuppressWarnings("unchecked")
    public Optional<List<String>> getStringArray(String key) {
        Optional<List> list = typed(key, List.class);
        list.ifPresent(l -> {
            if (!l.isEmpty() && !(l.getFirst() instanceof String)) {
                throw wrongType(key, "an array of strings", l);
            }
        });
        return list.map(l -> (List<String>) l);
    }

    /** A numeric array as floats (float or integer elements). */
    public Optional<float[]> getFloatArray(String key) {
        return numericList(key).map(list -> {
            float[] out = new float[list.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = ((Number) list.get(i)).floatValue();
            }
            return out;
        });
    }

    /** An integer array as ints. */
    public Optional<int[]> getIntArray(String key) {
        return numericList(key).map(list -> {
            int[] out = new int[list.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = ((Number) list.get(i)).intValue();
            }
            return out;
        });
    }

    public String requireString(String key) {
        return getString(key).orElseThrow(() -> missing(key));
    }

    public long requireLong(String key) {
        OptionalLong value = getLong(key);
        if (value.isEmpty()) {
            throw missing(key);
        }
        return value.getAsLong();
    }

    public double requireDouble(String key) {
        return getDouble(key).orElseThrow(() -> missing(key));
    }

    private Optional<List<?>> numericList(String key) {
        Optional<List> list = typed(key, List.class);
        list.ifPresent(l -> {
            if (!l.isEmpty() && !(l.getFirst() instanceof Number)) {
                throw wrongType(key, "a numeric array", l);
            }
        });
        return list.map(l -> (List<?>) l);
    }

    private <T> Optional<T> typed(String key, Class<T> type) {
        Object value = values.get(key);
        if (value == null) {
            return Optional.empty();
        }
        if (!type.isInstance(value)) {
            throw wrongType(key, type.getSimpleName(), value);
        }
        return Optional.of(type.cast(value));
    }

    private ModelFileException missing(String key) {
        return new ModelFileException(file, "missing metadata key '" + key + "'");
    }

    private ModelFileException wrongType(String key, String expected, Object actual) {
        return new ModelFileException(file, "metadata key '" + key + "' should be " + expected
                + " but is " + actual.getClass().getSimpleName());
    }
}
