package dev.ggufserve.gguf;

import dev.ggufserve.testing.GgufWriter;
import dev.ggufserve.testing.Quantizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class GgufFileTest {

    @TempDir
    Path dir;

    // ---- reading valid files ----

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void readsEveryMetadataValueType(int version) {
        GgufWriter writer = new GgufWriter().version(version)
                .putString("general.architecture", "llama")
                .putUint8("u8", 250)
                .putInt8("i8", -5)
                .putUint16("u16", 65000)
                .putInt16("i16", -30000)
                .putUint32("u32", 4_000_000_000L)
                .putInt32("i32", -2_000_000_000)
                .putUint64("u64", -1L)
                .putInt64("i64", Long.MIN_VALUE)
                .putFloat32("f32", 1.5f)
                .putFloat64("f64", Math.PI)
                .putBool("yes", true)
                .putBool("no", false)
                .putString("text", "héllo ▁wörld 🙂")
                .putString("empty", "");

        try (GgufFile file = GgufFile.open(writer.write(dir.resolve("m.gguf")))) {
            GgufMetadata metadata = file.metadata();
            assertEquals(version, file.version());
            assertEquals("llama", file.architecture());
            assertEquals(250L, metadata.get("u8").orElseThrow());
            assertEquals(-5L, metadata.get("i8").orElseThrow());
            assertEquals(65000L, metadata.get("u16").orElseThrow());
            assertEquals(-30000L, metadata.get("i16").orElseThrow());
            assertEquals(4_000_000_000L, metadata.get("u32").orElseThrow());
            assertEquals(-2_000_000_000L, metadata.get("i32").orElseThrow());
            assertEquals(-1L, metadata.get("u64").orElseThrow(), "uint64 keeps its raw bits");
            assertEquals(Long.MIN_VALUE, metadata.get("i64").orElseThrow());
            assertEquals(1.5, metadata.get("f32").orElseThrow());
            assertEquals(Math.PI, metadata.get("f64").orElseThrow());
            assertEquals(true, metadata.get("yes").orElseThrow());
            assertEquals(false, metadata.get("no").orElseThrow());
            assertEquals("héllo ▁wörld 🙂", metadata.get("text").orElseThrow());
            assertEquals("", metadata.get("empty").orElseThrow());
            assertEquals(List.of("general.architecture", "u8", "i8", "u16", "i16", "u32", "i32", "u64", "i64",
                    "f32", "f64", "yes", "no", "text", "empty"), List.copyOf(metadata.keys()));
        }
    }

    @Test
    void readsArraysOfEveryElementType() {
        GgufWriter writer = new GgufWriter()
                .putArray("u8", GgufValueType.UINT8, List.of(0, 255))
                .putArray("i8", GgufValueType.INT8, List.of(-128, 127))
                .putArray("u16", GgufValueType.UINT16, List.of(65535))
                .putArray("i16", GgufValueType.INT16, List.of(-1))
                .putArray("u32", GgufValueType.UINT32, List.of(4_294_967_295L))
                .putInt32Array("i32", new int[] {-7, 0, 7})
                .putArray("u64", GgufValueType.UINT64, List.of(1L, -1L))
                .putArray("i64", GgufValueType.INT64, List.of(-9L))
                .putFloat32Array("f32", new float[] {0.25f, -2f})
                .putArray("f64", GgufValueType.FLOAT64, List.of(1e-300))
                .putArray("bool", GgufValueType.BOOL, List.of(true, false))
                .putStringArray("str", List.of("<s>", "▁the", ""))
                .putStringArray("none", List.of());

        try (GgufFile file = GgufFile.open(writer.write(dir.resolve("m.gguf")))) {
            GgufMetadata metadata = file.metadata();
            assertEquals(List.of(0L, 255L), metadata.get("u8").orElseThrow());
            assertEquals(List.of(-128L, 127L), metadata.get("i8").orElseThrow());
            assertEquals(List.of(65535L), metadata.get("u16").orElseThrow());
            assertEquals(List.of(-1L), metadata.get("i16").orElseThrow());
            assertEquals(List.of(4_294_967_295L), metadata.get("u32").orElseThrow());
            assertArrayEquals(new int[] {-7, 0, 7}, metadata.getIntArray("i32").orElseThrow());
            assertEquals(List.of(1L, -1L), metadata.get("u64").orElseThrow());
            assertEquals(List.of(-9L), metadata.get("i64").orElseThrow());
            assertArrayEquals(new float[] {0.25f, -2f}, metadata.getFloatArray("f32").orElseThrow());
            assertEquals(List.of(1e-300), metadata.get("f64").orElseThrow());
            assertEquals(List.of(true, false), metadata.get("bool").orElseThrow());
            assertEquals(List.of("<s>", "▁the", ""), metadata.getStringArray("str").orElseThrow());
            assertEquals(List.of(), metadata.get("none").orElseThrow());
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void readsTensorsOfEveryTypeWithTheirExactBytes(int version) {
        GgufWriter writer = new GgufWriter().version(version);
        SplittableRandom random = new SplittableRandom(7);
        GgmlType[] types = GgmlType.values();
        float[][] values = new float[types.length][];
        for (int t = 0; t < types.length; t++) {
            values[t] = new float[512];
            for (int i = 0; i < 512; i++) {
                values[t][i] = (float) random.nextDouble(-1, 1);
            }
            writer.addTensor("t." + types[t], types[t], new long[] {256, 2}, values[t]);
        }

        try (GgufFile file = GgufFile.open(writer.write(dir.resolve("m.gguf")))) {
            assertEquals(Arrays.stream(types).map(t -> "t." + t).toList(), List.copyOf(file.tensors().keySet()),
                    "tensors in file order");
            for (int t = 0; t < types.length; t++) {
                GgufTensor tensor = file.requireTensor("t." + types[t], 256, 2);
                assertEquals(types[t], tensor.type());
                assertEquals(512, tensor.elementCount());
                assertArrayEquals(Quantizer.quantize(types[t], values[t]), tensor.data().toArray(ValueLayout.JAVA_BYTE));
                assertEquals(0, (tensor.data().address() - file.tensors().get("t.F32").data().address()) % 32);
            }
        }
    }

    @Test
    void honoursGeneralAlignment() throws IOException {
        Path path = new GgufWriter().alignment(256)
                .addTensor("a", GgmlType.F32, new long[] {3}, new float[] {1, 2, 3})
                .addTensor("b", GgmlType.F16, new long[] {1}, new float[] {4})
                .write(dir.resolve("m.gguf"));

        try (GgufFile file = GgufFile.open(path)) {
            assertEquals(256, file.alignment());
            long fileStart = file.tensors().get("a").data().address();
            long bStart = file.tensors().get("b").data().address();
            assertEquals(256, bStart - fileStart, "tensor b starts at the next 256-byte boundary");
            assertEquals(4f, Float.float16ToFloat(file.tensors().get("b").data().get(ValueLayout.JAVA_SHORT_UNALIGNED, 0)));
            assertEquals(12, file.tensors().get("a").data().byteSize());
        }
        assertEquals(0, Files.size(path) % 256);
    }

    @Test
    void defaultAlignmentIs32() {
        try (GgufFile file = GgufFile.open(new GgufWriter().write(dir.resolve("m.gguf")))) {
            assertEquals(32, file.alignment());
            assertTrue(file.tensors().isEmpty());
            assertTrue(file.tensor("anything").isEmpty());
        }
    }

    @Test
    void requireTensorChecksPresenceAndShape() {
        Path path = new GgufWriter()
                .addTensor("w", GgmlType.F32, new long[] {2, 3}, new float[6])
                .write(dir.resolve("m.gguf"));

        try (GgufFile file = GgufFile.open(path)) {
            assertEquals("w", file.requireTensor("w").name());
            assertEquals("w", file.requireTensor("w", 2, 3).name());
            assertMessage("missing tensor 'v'", assertThrows(ModelFileException.class, () -> file.requireTensor("v")));
            assertMessage("tensor 'w' has shape [2, 3] but the model needs [3, 2]",
                    assertThrows(ModelFileException.class, () -> file.requireTensor("w", 3, 2)));
            assertMessage("missing metadata key 'general.architecture'",
                    assertThrows(ModelFileException.class, file::architecture));
        }
    }

    /**
     * The mapping lives in an automatic arena (GgufFile's class comment): close() used to unmap it, so tensor data
     * read after close threw; now close() ends lookups only, and tensors taken before stay readable.
     */
    @Test
    void closeEndsTensorLookupsButTensorsTakenBeforeStayReadable() {
        Path path = new GgufWriter().putString("general.architecture", "llama")
                .addTensor("w", GgmlType.F32, new long[] {1}, new float[] {1}).write(dir.resolve("m.gguf"));
        GgufFile file = GgufFile.open(path);
        GgufTensor tensor = file.requireTensor("w");
        file.close();

        assertEquals(1f, tensor.data().get(ValueLayout.JAVA_FLOAT_UNALIGNED, 0));
        assertEquals("llama", file.architecture());
        for (Runnable lookup : List.<Runnable>of(() -> file.requireTensor("w"), () -> file.tensor("w"), file::tensors)) {
            IllegalStateException closed = assertThrows(IllegalStateException.class, lookup::run);
            assertEquals("model file " + path + " is closed", closed.getMessage());
        }
    }

    /**
     * What replaces unmapping on close: once nothing can read a file's mapping any more, the garbage collector's
     * cleaner unmaps it, so the many files a test run opens and closes do not stay mapped. Read from the kernel's
     * list of this process's mappings, which names each mapped file.
     */
    @Test
    void theMappingIsReleasedOnceNothingCanReadIt() throws Exception {
        Path maps = Path.of("/proc/self/maps");
        assumeTrue(Files.isReadable(maps), "needs Linux's /proc/self/maps");
        Path path = new GgufWriter().addTensor("w", GgmlType.F32, new long[] {4}, new float[] {1, 2, 3, 4})
                .write(dir.resolve("released.gguf"));

        assertEquals(10f, sumOfTensorThenClose(path, maps));
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (Files.readString(maps).contains(path.toString()) && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(20);
        }
        assertFalse(Files.readString(maps).contains(path.toString()), path + " is still mapped");
    }

    /** Opens {@code path}, checks that it is mapped, sums tensor w and closes it; keeps no reference to either. */
    private static float sumOfTensorThenClose(Path path, Path maps) throws IOException {
        try (GgufFile file = GgufFile.open(path)) {
            assertTrue(Files.readString(maps).contains(path.toString()), path + " should be mapped while open");
            GgufTensor tensor = file.requireTensor("w");
            float sum = 0;
            for (int i = 0; i < 4; i++) {
                sum += tensor.data().getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i);
            }
            return sum;
        }
    }

    /** A tensor more than 2 GiB into the file: offsets and slices must be 64-bit throughout. Sparse, so cheap. */
    @Test
    void mapsFilesLargerThan2GiB() throws IOException {
        long farOffset = 5L << 30;
        byte[] header = new GgufWriter()
                .addRawTensor("near", GgmlType.F32.id(), new long[] {8}, new byte[32])
                .addRawTensor("far", GgmlType.F32.id(), new long[] {8}, new byte[32])
                .toBytes();
        // Point "far" at 5 GiB into the data section; its offset field is the last 8 bytes of its tensor info.
        int farOffsetField = indexOf(header, "far") + 3 + 4 + 8 + 4;
        ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN).putLong(farOffsetField, farOffset);
        long dataStart = header.length - 64;
        Path path = dir.resolve("big.gguf");
        try (RandomAccessFile raf = new RandomAccessFile(path.toFile(), "rw")) {
            raf.write(header);
            raf.setLength(dataStart + farOffset + 32);
            raf.seek(dataStart + farOffset + 28);
            raf.write(new byte[] {0, 0, (byte) 0x80, 0x3f}); // 1.0f, little-endian
        }

        try (GgufFile file = GgufFile.open(path)) {
            GgufTensor far = file.requireTensor("far", 8);
            assertEquals(1.0f, far.data().get(ValueLayout.JAVA_FLOAT_UNALIGNED, 28));
            assertEquals(farOffset, far.data().address() - file.requireTensor("near").data().address());
        }
        // The first mapping may still exist (until it is collected); shortening the file under it is harmless while
        // nothing reads it, and nothing can: the file object and its tensors are out of reach.
        try (RandomAccessFile raf = new RandomAccessFile(path.toFile(), "rw")) {
            raf.setLength(dataStart + farOffset + 31);
        }
        assertMessage("tensor 'far' (32 bytes at data offset " + farOffset + ") extends past the end of the file",
                assertThrows(ModelFileException.class, () -> GgufFile.open(path)));
    }

    // ---- rejecting bad files ----

    @Test
    void rejectsMissingFilesAndDirectories() {
        Path missing = dir.resolve("nope.gguf");
        ModelFileException e = assertThrows(ModelFileException.class, () -> GgufFile.open(missing));
        assertEquals("Model file " + missing + ": file not found", e.getMessage());
        assertMessage("not a regular file", assertThrows(ModelFileException.class, () -> GgufFile.open(dir)));
    }

    @Test
    void rejectsUnreadableFiles() throws IOException {
        Path path = new GgufWriter().write(dir.resolve("m.gguf"));
        assumeFalse(!path.toFile().setReadable(false) || Files.isReadable(path), "permissions not enforced (root?)");
        assertMessage("file is not readable", assertThrows(ModelFileException.class, () -> GgufFile.open(path)));
    }

    @Test
    void rejectsBadMagic() {
        byte[] bytes = validFile();
        bytes[0] = 'X';
        assertRejected(bytes, "not a GGUF file: it starts with bytes 58 47 55 46 instead of 'GGUF'");
    }

    @Test
    void rejectsUnsupportedVersions() {
        assertRejected(withU32(validFile(), 4, 1), "unsupported GGUF version 1 (supported: 2 and 3)");
        assertRejected(withU32(validFile(), 4, 4), "unsupported GGUF version 4 (supported: 2 and 3)");
        assertRejected(withU32(validFile(), 4, 3 << 24), "big-endian GGUF files are not supported");
    }

    @Test
    void rejectsEveryTruncationWithAModelFileException() {
        byte[] bytes = validFile();
        for (int length = 0; length < bytes.length; length++) {
            byte[] truncated = Arrays.copyOf(bytes, length);
            ModelFileException e = assertThrows(ModelFileException.class, () -> open(truncated), "length " + length);
            assertTrue(e.getMessage().contains("truncated") || e.getMessage().contains("left in the file"),
                    "length " + length + ": " + e.getMessage());
        }
    }

    @Test
    void rejectsTruncationAtEachPartWithAClearMessage() {
        byte[] bytes = validFile();
        assertRejected(Arrays.copyOf(bytes, 2), "file is truncated: magic needs 4 bytes at offset 0");
        assertRejected(Arrays.copyOf(bytes, 12), "file is truncated: tensor count needs 8 bytes at offset 8");
        int text = indexOf(bytes, "some text");
        assertRejected(Arrays.copyOf(bytes, text + 4), "value of metadata key 'text' at offset " + (text - 8)
                + " claims 9 bytes but only 4 bytes are left in the file");
        assertRejected(Arrays.copyOf(bytes, bytes.length - 1), "tensor 'w' (64 bytes at data offset 0) extends past"
                + " the end of the file: the data section holds 63 bytes (truncated file?)");
    }

    @Test
    void rejectsAbsurdCountsAndLengthsBeforeAllocating() {
        byte[] bytes = validFile();
        assertRejected(withU64(validFile(), 8, Long.MAX_VALUE), "tensor count 9223372036854775807 is impossible");
        assertRejected(withU64(validFile(), 16, -1), "metadata count 18446744073709551615 is impossible");
        int text = indexOf(bytes, "some text");
        assertRejected(withU64(bytes, text - 8, 1L << 40), "value of metadata key 'text' at offset " + (text - 8)
                + " claims 1099511627776 bytes");
        byte[] array = new GgufWriter().putFloat32Array("list", new float[] {1, 2}).toBytes();
        int count = indexOf(array, "list") + 4 + 4 + 4;
        assertRejected(withU64(array, count, 1L << 62), "metadata array 'list' claims 4611686018427387904 FLOAT32"
                + " elements but only 12 bytes are left in the file"); // 8 bytes of floats, 4 of padding
    }

    @Test
    void rejectsUnknownValueTypes() {
        byte[] bytes = new GgufWriter().putUint32("key", 1).toBytes();
        assertRejected(withU32(bytes, indexOf(bytes, "key") + 3, 13), "metadata key 'key' has unknown value type 13");
        byte[] array = new GgufWriter().putInt32Array("list", new int[] {1}).toBytes();
        int elementType = indexOf(array, "list") + 4 + 4;
        assertRejected(withU32(array, elementType, 99), "metadata array 'list' has unknown element type 99");
        assertRejected(withU32(array, elementType, GgufValueType.ARRAY.id()),
                "metadata array 'list' holds arrays, which gguf-serve does not support");
    }

    @Test
    void rejectsBoolsOtherThanZeroOrOne() {
        byte[] bytes = new GgufWriter().putBool("flag", true).toBytes();
        bytes[indexOf(bytes, "flag") + 4 + 4] = 2;
        assertRejected(bytes, "value of metadata key 'flag' is a bool stored as 2 (must be 0 or 1)");
    }

    @Test
    void rejectsInvalidUtf8() {
        byte[] value = new GgufWriter().putString("key", "ab").toBytes();
        int ab = indexOf(value, "ab");
        value[ab] = (byte) 0xC3;
        value[ab + 1] = 0x28; // 0xC3 must be followed by a continuation byte (10xxxxxx)
        assertRejected(value, "value of metadata key 'key' at offset " + (ab - 8) + " is not valid UTF-8");

        byte[] key = new GgufWriter().putString("key", "value").toBytes();
        key[indexOf(key, "key")] = (byte) 0xFF;
        assertRejected(key, "key of metadata pair #0 at offset 24 is not valid UTF-8");
    }

    @Test
    void rejectsDuplicateKeysAndTensors() {
        assertRejected(new GgufWriter().putUint32("a", 1).putString("a", "x").toBytes(), "duplicate metadata key 'a'");
        assertRejected(new GgufWriter()
                .addTensor("w", GgmlType.F32, new long[] {1}, new float[1])
                .addTensor("w", GgmlType.F32, new long[] {1}, new float[1]).toBytes(), "duplicate tensor name 'w'");
    }

    @Test
    void rejectsUnknownAndUnsupportedTensorTypes() {
        assertRejected(rawTensorFile(99, 32), "tensor 'w' has unknown ggml type id 99");
        assertRejected(rawTensorFile(6, 32), "tensor 'w' has type Q5_0 (6), which gguf-serve does not support");
        assertRejected(rawTensorFile(7, 32), "tensor 'w' has type Q5_1 (7), which gguf-serve does not support");
        assertRejected(rawTensorFile(9, 32), "tensor 'w' has type Q8_1 (9), which gguf-serve does not support");
        assertRejected(rawTensorFile(10, 256), "tensor 'w' has type Q2_K (10), which gguf-serve does not support");
        assertRejected(rawTensorFile(11, 256), "tensor 'w' has type Q3_K (11), which gguf-serve does not support");
        assertRejected(rawTensorFile(15, 256), "tensor 'w' has type Q8_K (15), which gguf-serve does not support");
        assertRejected(rawTensorFile(23, 256), "tensor 'w' has type IQ4_XS (23), which gguf-serve does not support");
    }

    @Test
    void rejectsBadTensorShapes() {
        byte[] fiveDims = new GgufWriter().addRawTensor("w", 0, new long[] {1, 1, 1, 1, 1}, new byte[4]).toBytes();
        assertRejected(fiveDims, "tensor 'w' has 5 dimensions (must be 1 to 4)");
        byte[] zeroDim = new GgufWriter().addRawTensor("w", 0, new long[] {4, 0}, new byte[0]).toBytes();
        assertRejected(zeroDim, "tensor 'w' has dimension 1 of size 0");
        byte[] overflow = new GgufWriter().addRawTensor("w", 0, new long[] {1L << 32, 1L << 32}, new byte[0]).toBytes();
        assertRejected(overflow, "too many elements");
        byte[] partialBlock = new GgufWriter().addRawTensor("w", GgmlType.Q8_0.id(), new long[] {16, 2}, new byte[34]).toBytes();
        assertRejected(partialBlock, "tensor 'w' has rows of 16 elements, not a multiple of the Q8_0 block size 32");
    }

    @Test
    void rejectsTensorsOutOfBoundsOrMisaligned() {
        byte[] bytes = validFile();
        int offsetField = indexOf(bytes, "w") + 1 + 4 + 8 + 8 + 4;
        assertRejected(withU64(bytes, offsetField, 32), "tensor 'w' (64 bytes at data offset 32) extends past the end");
        assertRejected(withU64(bytes, offsetField, -32), "tensor 'w' (64 bytes at data offset 18446744073709551584)"
                + " extends past the end");
        byte[] twoTensors = new GgufWriter()
                .addTensor("a", GgmlType.F32, new long[] {16}, new float[16])
                .addTensor("b", GgmlType.F32, new long[] {8}, new float[8]).toBytes();
        assertRejected(withU64(twoTensors, indexOf(twoTensors, "b") + 1 + 4 + 8 + 4, 4),
                "tensor 'b' starts at data offset 4, which is not a multiple of the alignment 32");
    }

    @Test
    void rejectsAlignmentsThatAreNotPowersOfTwo() {
        assertRejected(new GgufWriter().putUint32("general.alignment", 0).toBytes(), "general.alignment 0 is not a power of two");
        assertRejected(new GgufWriter().putUint32("general.alignment", 48).toBytes(), "general.alignment 48 is not a power of two");
        assertRejected(new GgufWriter().putString("general.alignment", "32").toBytes(), "general.alignment must be an integer");
    }

    /** Random corruption must never escape as anything but a ModelFileException (nor hang or exhaust memory). */
    @Test
    void survivesRandomCorruption() throws IOException {
        byte[] original = validFile();
        SplittableRandom random = new SplittableRandom(42);
        for (int trial = 0; trial < 2000; trial++) {
            byte[] corrupt = original.clone();
            int flips = 1 + random.nextInt(4);
            for (int f = 0; f < flips; f++) {
                corrupt[random.nextInt(corrupt.length)] = (byte) random.nextInt(256);
            }
            try {
                open(corrupt).close();
            } catch (ModelFileException expected) {
                assertFalse(expected.getMessage().isBlank());
            }
        }
    }

    // ---- helpers ----

    /** A small valid file: metadata with a string and an array, one 4x4 F32 tensor. */
    private static byte[] validFile() {
        return new GgufWriter()
                .putString("general.architecture", "llama")
                .putString("text", "some text")
                .putInt32Array("list", new int[] {1, 2, 3})
                .addTensor("w", GgmlType.F32, new long[] {4, 4}, new float[16])
                .toBytes();
    }

    private static byte[] rawTensorFile(int typeId, int rowLength) {
        return new GgufWriter().addRawTensor("w", typeId, new long[] {rowLength}, new byte[256]).toBytes();
    }

    private GgufFile open(byte[] bytes) throws IOException {
        Path path = Files.write(dir.resolve("test.gguf"), bytes);
        return GgufFile.open(path);
    }

    private void assertRejected(byte[] bytes, String expectedProblem) {
        ModelFileException e = assertThrows(ModelFileException.class, () -> open(bytes).close());
        assertTrue(e.getMessage().startsWith("Model file " + dir.resolve("test.gguf") + ": "), e.getMessage());
        assertMessage(expectedProblem, e);
    }

    private static void assertMessage(String expectedPart, ModelFileException e) {
        assertTrue(e.getMessage().contains(expectedPart), "expected '" + expectedPart + "' in: " + e.getMessage());
    }

    private static int indexOf(byte[] haystack, String ascii) {
        byte[] needle = ascii.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
                return i;
            }
        }
        throw new IllegalArgumentException("'" + ascii + "' not found");
    }

    private static byte[] withU32(byte[] bytes, int offset, int value) {
        byte[] copy = bytes.clone();
        ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN).putInt(offset, value);
        return copy;
    }

    private static byte[] withU64(byte[] bytes, int offset, long value) {
        byte[] copy = bytes.clone();
        ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN).putLong(offset, value);
        return copy;
    }
}
