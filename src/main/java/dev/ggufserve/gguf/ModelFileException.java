package dev.ggufserve.gguf;

import java.nio.file.Path;

/** A model file that cannot be served: the message names the file and the one problem found. */
public class ModelFileException extends RuntimeException {

    public ModelFileException(Path file, String problem) {
        super("Model file " + file + ": " + problem);
    }

    public ModelFileException(Path file, String problem, Throwable cause) {
        super("Model file " + file + ": " + problem, cause);
    }
}
