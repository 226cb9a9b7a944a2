package dev.ggufserve.engine.cuda;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetCount;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuDriverGetVersion;
import static jcuda.driver.JCudaDriver.cuInit;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;

import dev.ggufserve.engine.EngineUnavailableException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.JCudaDriver;

/**
 * The first CUDA device, its primary context and the gguf-serve kernels loaded into it.
 *
 * <p>Only the CUDA driver API is used (JCuda's {@code libJCudaDriver}, whose one CUDA dependency is
 * {@code libcuda.so.1}, installed with every NVIDIA driver): no CUDA runtime, cuBLAS or NVRTC library has to
 * match the driver's CUDA version. The kernels come as PTX (compiled from {@code src/main/cuda} by
 * {@code build-ptx.sh}), which the driver compiles for the card when the modules load.
 *
 * <p>A context is current per thread: every thread that calls into CUDA first calls {@link #makeCurrent()}.
 */
final class CudaDevice implements AutoCloseable {

    /** The PTX modules in {@code src/main/resources/cuda}, one per {@code src/main/cuda/*.cu}. */
    static final List<String> MODULES = List.of("matvec", "matmul", "ops");

    /** Host-to-device copies go in slices of this size: a ByteBuffer view of a segment holds at most 2 GiB. */
    private static final long UPLOAD_SLICE = 1L << 30;

    private static final Pattern MISSING_LIBRARY = Pattern.compile("\\S+\\.so(\\.\\d+)*: cannot open shared object file[^\\n]*");

    private final CUdevice device;
    private final CUcontext context;
    private final Map<String, CUmodule> modules;
    private final String description;

    private CudaDevice(CUdevice device, CUcontext context, Map<String, CUmodule> modules, String description) {
        this.device = device;
        this.context = context;
        this.modules = modules;
        this.description = description;
    }

    /**
     * Opens device 0 and loads the kernels.
     *
     * @throws EngineUnavailableException "CUDA not available: ..." when the driver library cannot be loaded,
     *                                    there is no device, or the driver refuses the kernels
     */
    static CudaDevice open() {
        Driver.LOAD_FAILURE.ifPresent(failure -> {
            throw new EngineUnavailableException(failure);
        });
        try {
            cuInit(0);
            int[] count = new int[1];
            cuDeviceGetCount(count);
            if (count[0] == 0) {
                throw new EngineUnavailableException("CUDA not available: the NVIDIA driver sees no CUDA device");
            }
            CUdevice device = new CUdevice();
            cuDeviceGet(device, 0);
            CUcontext context = new CUcontext();
            cuDevicePrimaryCtxRetain(context, device);
            cuCtxSetCurrent(context);
            Map<String, CUmodule> modules = new LinkedHashMap<>();
            try {
                for (String name : MODULES) {
                    CUmodule module = new CUmodule();
                    cuModuleLoadData(module, ptx(name));
                    modules.put(name, module);
                }
            } catch (CudaException e) {
                modules.values().forEach(JCudaDriver::cuModuleUnload);
                cuDevicePrimaryCtxRelease(device);
                throw new EngineUnavailableException("CUDA not available: the driver could not load the kernels ("
                        + e.getMessage() + "); it needs CUDA 13.0 or later (driver 580+) for their PTX 9.0");
            }
            return new CudaDevice(device, context, Map.copyOf(modules), describe(device));
        } catch (CudaException e) {
            throw new EngineUnavailableException("CUDA not available: " + e.getMessage());
        }
    }

    /** The card's name and the driver's CUDA version, e.g. "NVIDIA H100 80GB HBM3, CUDA driver 13.0". */
    String description() {
        return description;
    }

    /** Makes this device's context current on the calling thread. */
    void makeCurrent() {
        cuCtxSetCurrent(context);
    }

    /** The kernel {@code name} of {@code module} (one of {@link #MODULES}). */
    CUfunction function(String module, String name) {
        CUfunction function = new CUfunction();
        cuModuleGetFunction(function, modules.get(module), name);
        return function;
    }

    CUdeviceptr allocate(long bytes) {
        CUdeviceptr pointer = new CUdeviceptr();
        cuMemAlloc(pointer, Math.max(bytes, 1));
        return pointer;
    }

    static void free(CUdeviceptr pointer) {
        cuMemFree(pointer);
    }

    /** A new device buffer holding {@code bytes} (e.g. a slice of the memory-mapped model file). */
    CUdeviceptr upload(MemorySegment bytes) {
        CUdeviceptr pointer = allocate(bytes.byteSize());
        for (long offset = 0; offset < bytes.byteSize(); offset += UPLOAD_SLICE) {
            long length = Math.min(UPLOAD_SLICE, bytes.byteSize() - offset);
            cuMemcpyHtoD(pointer.withByteOffset(offset), Pointer.to(bytes.asSlice(offset, length).asByteBuffer()),
                    length);
        }
        return pointer;
    }

    CUdeviceptr upload(float[] values) {
        CUdeviceptr pointer = allocate((long) values.length * Float.BYTES);
        cuMemcpyHtoD(pointer, Pointer.to(values), (long) values.length * Float.BYTES);
        return pointer;
    }

    @Override
    public void close() {
        makeCurrent();
        modules.values().forEach(JCudaDriver::cuModuleUnload);
        cuDevicePrimaryCtxRelease(device);
    }

    /**
     * Loads JCuda's driver library once per JVM (a class initializer cannot be retried: a second attempt only
     * says "Could not initialize class"), keeping why it failed.
     */
    private static final class Driver {

        /** "CUDA not available: ..." when the library did not load, else empty. */
        static final Optional<String> LOAD_FAILURE = load();

        private static Optional<String> load() {
            try {
                JCudaDriver.setExceptionsEnabled(true);
                return Optional.empty();
            } catch (LinkageError e) {
                // JCuda's native library links libcuda.so.1; without an NVIDIA driver it fails to load.
                return Optional.of("CUDA not available: JCuda's driver library could not be loaded ("
                        + missingLibrary(e) + ")");
            }
        }

        /**
         * The line of JCuda's many-line report that names the missing library, e.g. "libcuda.so.1: cannot open
         * shared object file: No such file or directory"; else the error's first line.
         */
        private static String missingLibrary(LinkageError error) {
            Matcher missing = MISSING_LIBRARY.matcher(String.valueOf(error.getMessage()));
            return missing.find() ? missing.group() : error.toString().lines().findFirst().orElse("");
        }
    }

    private static String describe(CUdevice device) {
        byte[] name = new byte[256];
        cuDeviceGetName(name, name.length, device);
        int[] version = new int[1];
        cuDriverGetVersion(version);
        int length = 0;
        while (length < name.length && name[length] != 0) {
            length++;
        }
        return new String(name, 0, length, StandardCharsets.UTF_8) + ", CUDA driver " + version[0] / 1000 + "."
                + version[0] % 1000 / 10;
    }

    private static String ptx(String module) {
        String resource = "/cuda/" + module + ".ptx";
        try (InputStream in = CudaDevice.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("missing kernel resource " + resource);
            }
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
