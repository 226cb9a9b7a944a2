package dev.ggufserve.engine;

import dev.ggufserve.engine.cpu.CpuEngine;
import dev.ggufserve.gguf.GgufFile;
import org.jboss.logging.Logger;

/** Chooses and builds the engine for a model file. */
public final class Engines {

    private static final Logger LOG = Logger.getLogger(Engines.class);

    /** Why the CUDA engine cannot be used in this build; the CUDA engine has an issue of its own. */
    private static final String CUDA_MISSING = "CUDA not available: this build of gguf-serve has no CUDA engine yet";

    private Engines() {
    }

    /**
     * @param threads CPU threads for the CPU engine's kernels
     * @throws EngineUnavailableException when {@code kind} is CUDA and no CUDA engine can run
     */
    public static Engine open(GgufFile model, EngineKind kind, int threads) {
        return switch (kind) {
            case CPU -> CpuEngine.load(model, threads);
            case CUDA -> throw new EngineUnavailableException(CUDA_MISSING);
            case AUTO -> {
                LOG.infof("%s; using the CPU engine with %d threads", CUDA_MISSING, threads);
                yield CpuEngine.load(model, threads);
            }
        };
    }
}
