package dev.ggufserve.engine.cuda;

/**
 * Prints whether the CUDA engine can open the GPU here: the card and driver, or the "CUDA not available: ..."
 * reason. bench/gpu-check.sh runs it before the GPU tests.
 */
public final class CudaProbe {

    private CudaProbe() {
    }

    public static void main(String[] args) {
        try (CudaDevice device = CudaDevice.open()) {
            System.out.println("CUDA engine can run: " + device.description() + "; kernels loaded: "
                    + CudaDevice.MODULES);
        } catch (RuntimeException e) {
            System.out.println(e.getMessage());
            System.exit(1);
        }
    }
}
