package dev.ggufserve.engine;

import java.util.Locale;

/** Which engine serves the model ({@code LLM_ENGINE}). */
public enum EngineKind {
    CPU,
    CUDA,
    /** CUDA when a GPU is usable, otherwise the CPU engine. */
    AUTO;

    /** Parses cpu, cuda or auto (any case). */
    public static EngineKind parse(String value) {
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("engine must be cpu, cuda or auto, got '" + value + "'", e);
        }
    }
}
