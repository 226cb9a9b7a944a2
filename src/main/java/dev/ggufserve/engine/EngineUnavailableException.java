package dev.ggufserve.engine;

/** The engine that was asked for cannot run here (e.g. no usable GPU for the CUDA engine). */
public class EngineUnavailableException extends RuntimeException {

    public EngineUnavailableException(String message) {
        super(message);
    }
}
