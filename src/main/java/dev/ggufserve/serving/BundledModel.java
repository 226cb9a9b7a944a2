package dev.ggufserve.serving;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The demo model shipped inside the application, served when LLM_MODEL_PATH is not set. Weights are
 * memory-mapped from a file, so the resource is copied to a temporary directory first.
 */
final class BundledModel {

    static final String RESOURCE = "models/stories260K.gguf";

    private BundledModel() {
    }

    /** Copies the bundled model to a fresh temporary directory, keeping its file name. */
    static Path extract() {
        try (InputStream resource = Thread.currentThread().getContextClassLoader().getResourceAsStream(RESOURCE)) {
            if (resource == null) {
                throw new IllegalStateException("The bundled model " + RESOURCE + " is missing from the application");
            }
            Path directory = Files.createTempDirectory("gguf-serve-");
            Path file = directory.resolve(Path.of(RESOURCE).getFileName());
            Files.copy(resource, file, StandardCopyOption.REPLACE_EXISTING);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("Could not copy the bundled model to a temporary file", e);
        }
    }

    /** Removes a copy made by {@link #extract()} and its directory. */
    static void delete(Path extracted) {
        try {
            Files.deleteIfExists(extracted);
            Files.deleteIfExists(extracted.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("Could not delete the temporary model copy " + extracted, e);
        }
    }
}
