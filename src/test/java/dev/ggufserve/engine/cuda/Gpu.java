package dev.ggufserve.engine.cuda;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ggufserve.engine.EngineUnavailableException;
import java.util.Optional;

/**
 * Whether this machine has a usable CUDA GPU, found out once per test JVM by opening the device. Tests tagged
 * {@code gpu} call {@link #assumeAvailable()}, so where there is none (CI) they show as skipped with the reason.
 */
public final class Gpu {

    private Gpu() {
    }

    /** Why CUDA cannot be used here ("CUDA not available: ..."), or empty when a GPU is usable. */
    public static Optional<String> unavailableReason() {
        return Probe.REASON;
    }

    public static void assumeAvailable() {
        assumeTrue(Probe.REASON.isEmpty(), () -> "no GPU: skipped (" + Probe.REASON.orElseThrow() + ")");
    }

    /** Initialized on first use (the holder idiom), so the probe runs at most once. */
    private static final class Probe {
        static final Optional<String> REASON = probe();

        private static Optional<String> probe() {
            try (CudaDevice device = CudaDevice.open()) {
                return Optional.empty();
            } catch (EngineUnavailableException e) {
                return Optional.of(e.getMessage());
            }
        }
    }
}
