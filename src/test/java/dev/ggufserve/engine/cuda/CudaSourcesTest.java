package dev.ggufserve.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The committed PTX was generated from the committed CUDA sources: build-ptx.sh records the SHA-256 of every
 * .cu and .cuh file it compiled in sources.sha256, and a source edited since then fails here (runs without a
 * GPU or nvcc, so CI catches a forgotten regeneration).
 */
class CudaSourcesTest {

    private static final Path SOURCES = Path.of("src/main/cuda");
    private static final Path PTX = Path.of("src/main/resources/cuda");

    @Test
    void everySourceIsRecordedWithItsCurrentHash() throws IOException {
        Map<String, String> recorded = new TreeMap<>();
        for (String line : Files.readAllLines(PTX.resolve("sources.sha256"))) {
            String[] hashAndName = line.split(" [ *]", 2);
            recorded.put(hashAndName[1], hashAndName[0]);
        }
        Map<String, String> current = new TreeMap<>();
        try (Stream<Path> files = Files.list(SOURCES)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".cu") || f.toString().endsWith(".cuh"))
                    .collect(Collectors.toList())) {
                current.put(file.getFileName().toString(), sha256(Files.readAllBytes(file)));
            }
        }
        assertEquals(recorded, current, "src/main/cuda changed since its PTX was generated:"
                + " run src/main/cuda/build-ptx.sh and commit src/main/resources/cuda");
    }

    @Test
    void everyModuleTheEngineLoadsHasItsSourceAndPtx() {
        for (String module : CudaDevice.MODULES) {
            assertTrue(Files.isRegularFile(SOURCES.resolve(module + ".cu")), module + ".cu");
            assertTrue(Files.isRegularFile(PTX.resolve(module + ".ptx")), module + ".ptx");
        }
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
