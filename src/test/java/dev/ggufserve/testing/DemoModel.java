package dev.ggufserve.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** The bundled demo model (stories260K), copied out of the resources: weights are memory-mapped from a file. */
public final class DemoModel {

    private DemoModel() {
    }

    /** The model's file in {@code directory}, copied there on the first call. */
    public static Path in(Path directory) throws IOException {
        Path file = directory.resolve("stories260K.gguf");
        if (!Files.exists(file)) {
            try (InputStream in = DemoModel.class.getResourceAsStream("/models/stories260K.gguf")) {
                if (in == null) {
                    throw new IllegalStateException("the demo model is missing from src/main/resources/models");
                }
                Files.copy(in, file);
            }
        }
        return file;
    }
}
