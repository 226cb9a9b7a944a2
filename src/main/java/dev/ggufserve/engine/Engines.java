package dev.ggufserve.engine;

import dev.ggufserve.engine.cpu.CpuEngine;
import dev.ggufserve.engine.cuda.CudaEngine;
import dev.ggufserve.gguf.GgufFile;
import org.jboss.logging.Logger;

/** Chooses and builds the engine for a model file. */
public final class Engines {

    private static final Logger LOG = Logger.getLogger(Engines.class);

    private Engines() {
    }

    /**
     * @param threads CPU threads for the CPU engine's kernels
     * @throws EngineUnavailableException when {@code kind} is CUDA and no CUDA engine can run ("CUDA not
     *                                    available: ..." when there is no usable GPU)
     */
    public static Engine open(GgufFile model, EngineKind kind, int threads) {
        return switch (kind) {
            case CPU -> CpuEngine.load(model, threads);
            case CUDA -> openCuda(model);
            case AUTO -> {
                try {
                    yield openCuda(model);
                } catch (EngineUnavailableException e) {
                    LOG.infof("%s; using the CPU engine with %d threads", e.getMessage(), threads);
                    yield CpuEngine.load(model, threads);
                }
            }
        };
    }

    private static Engine openCuda(GgufFile model) {
        CudaEngine engine = CudaEngine.load(model);
        LOG.infof("CUDA engine on %s", engine.deviceDescription());
        return engine;
    }
}
