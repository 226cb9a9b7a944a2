package dev.ggufserve.tensor;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;
import java.util.Optional;
import java.util.function.Function;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Which vector width the kernels use and whether the Vector API runs as SIMD instructions here, for the start-up
 * log: the kernels run 10 to 100 times slower on the API's plain-Java fallback, and that should be visible in the
 * log rather than found in a benchmark.
 *
 * <p>How it is told, per runtime:
 * <ul>
 *   <li><b>HotSpot</b> (the JVM): C2 compiles Vector API calls to SIMD instructions (its intrinsics, switched by the
 *   experimental flag {@code EnableVectorSupport}, on by default when {@code jdk.incubator.vector} is in the module
 *   graph); code that only the interpreter or C1 runs uses the fallback. So the answer follows from the VM's own
 *   options, read through {@link HotSpotDiagnosticMXBean} at no cost: no JIT ({@code -Xint}), C1 only
 *   ({@code TieredStopAtLevel} below 4) or {@code -XX:-EnableVectorSupport} mean fallback; otherwise the kernels are
 *   intrinsified once C2 has compiled them, which the start-up warm-up sees to. A timing probe would say nothing at
 *   start-up on HotSpot, where nothing is compiled yet, and would cost what the warm-up tries to save. With the Graal
 *   JIT ({@code UseJVMCICompiler}) the answer depends on Graal's partial Vector API support and is not claimed.</li>
 *   <li><b>Native image</b> ({@code org.graalvm.nativeimage.imagecode} is {@code runtime}): everything was compiled
 *   at build time, with SIMD instructions only if the image was built with {@code -H:+VectorAPISupport}, which
 *   nothing at run time reports. So it is measured: a float dot product in {@link Lanes#FLOATS} vectors against the
 *   same in scalar code, both already compiled; intrinsified vectors are several times faster than the scalar loop,
 *   the fallback several times slower. About a millisecond.</li>
 * </ul>
 *
 * @param vectorBits     width of {@link Lanes#FLOATS}, the kernels' float vectors
 * @param floatLanes     floats per vector
 * @param runtime        the runtime and compiler, e.g. "HotSpot C2"
 * @param intrinsified   whether the kernels run as SIMD instructions (for HotSpot: once C2 has compiled them)
 * @param evidence       how that was decided, for the log
 */
public record VectorApiReport(int vectorBits, int floatLanes, String runtime, boolean intrinsified, String evidence) {

    /** System property GraalVM native-image sets to "buildtime" or "runtime" (org.graalvm.nativeimage.ImageInfo). */
    static final String IMAGE_CODE_PROPERTY = "org.graalvm.nativeimage.imagecode";
    /** Floats per probe dot product: 4 KB per operand, in L1. */
    private static final int PROBE_LENGTH = 1024;
    /** Dot products per timing, so one timing is far above the clock's resolution. */
    private static final int PROBE_REPEATS = 32;
    /** Timings of each kind; the fastest counts. */
    private static final int PROBE_TIMINGS = 15;

    /** Where this process stands; on HotSpot from the VM options, in a native image by timing (about 1 ms). */
    public static VectorApiReport detect() {
        if ("runtime".equals(System.getProperty(IMAGE_CODE_PROPERTY))) {
            return fromProbe("native image", probe());
        }
        HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
        return fromHotSpotOptions(ManagementFactory.getCompilationMXBean() != null, name -> vmOption(vm, name));
    }

    /** The start-up log line. */
    public String line() {
        return String.format("Vector API: %d-bit vectors (%d floats), %s, %s (%s)", vectorBits, floatLanes, runtime,
                intrinsified ? "intrinsified: SIMD instructions" : "NOT intrinsified: the kernels run the Vector "
                        + "API's Java fallback, 10-100x slower", evidence);
    }

    /**
     * The decision for HotSpot from its options; {@code option} gives a VM option's value, empty when the VM does
     * not show it (experimental options stay hidden, and so at their defaults, unless unlocked).
     */
    static VectorApiReport fromHotSpotOptions(boolean hasJit, Function<String, Optional<String>> option) {
        int bits = Lanes.FLOATS.vectorBitSize();
        int lanes = Lanes.FLOATS.length();
        if (!hasJit || option.apply("UseCompiler").filter("false"::equals).isPresent()) {
            return new VectorApiReport(bits, lanes, "HotSpot interpreter", false, "no JIT compiler (-Xint)");
        }
        if (option.apply("UseJVMCICompiler").filter("true"::equals).isPresent()) {
            return new VectorApiReport(bits, lanes, "HotSpot with the Graal JIT", false,
                    "UseJVMCICompiler: Graal's Vector API support is partial, not checked here; run on C2 for SIMD");
        }
        boolean tiered = !option.apply("TieredCompilation").filter("false"::equals).isPresent();
        int stopAtLevel = option.apply("TieredStopAtLevel").map(Integer::parseInt).orElse(4);
        if (tiered && stopAtLevel < 4) {
            return new VectorApiReport(bits, lanes, "HotSpot C1", false,
                    "TieredStopAtLevel=" + stopAtLevel + ": C2, which intrinsifies the Vector API, never runs");
        }
        Optional<String> vectorSupport = option.apply("EnableVectorSupport");
        if (vectorSupport.filter("false"::equals).isPresent()) {
            return new VectorApiReport(bits, lanes, "HotSpot C2", false, "-XX:-EnableVectorSupport");
        }
        return new VectorApiReport(bits, lanes, "HotSpot C2", true, vectorSupport.isPresent()
                ? "EnableVectorSupport=true; once C2 has compiled the kernels"
                : "EnableVectorSupport at its default (on); once C2 has compiled the kernels");
    }

    /** The decision from a {@link #probe()}'s timings. */
    static VectorApiReport fromProbe(String runtime, ProbeTimings timings) {
        double ratio = timings.scalarNanos() / (double) timings.vectorNanos();
        return new VectorApiReport(Lanes.FLOATS.vectorBitSize(), Lanes.FLOATS.length(), runtime,
                timings.vectorNanos() < timings.scalarNanos(),
                String.format("a vector dot product ran %.1fx the speed of the scalar one", ratio));
    }

    /** The fastest of several timings of {@link #PROBE_REPEATS} dot products, vector and scalar. */
    record ProbeTimings(long vectorNanos, long scalarNanos) {
    }

    /** Times {@link #vectorDot} against {@link #scalarDot} on the same data. */
    static ProbeTimings probe() {
        float[] a = new float[PROBE_LENGTH];
        float[] b = new float[PROBE_LENGTH];
        for (int i = 0; i < PROBE_LENGTH; i++) {
            a[i] = (i % 7) * 0.25f;
            b[i] = (i % 5) * 0.5f;
        }
        long vectorBest = Long.MAX_VALUE;
        long scalarBest = Long.MAX_VALUE;
        float sink = 0;
        for (int timing = 0; timing < PROBE_TIMINGS; timing++) {
            long start = System.nanoTime();
            for (int repeat = 0; repeat < PROBE_REPEATS; repeat++) {
                sink += vectorDot(a, b);
            }
            long middle = System.nanoTime();
            for (int repeat = 0; repeat < PROBE_REPEATS; repeat++) {
                sink += scalarDot(a, b);
            }
            long end = System.nanoTime();
            vectorBest = Math.min(vectorBest, middle - start);
            scalarBest = Math.min(scalarBest, end - middle);
        }
        if (Float.isNaN(sink)) {
            // Never true for these inputs; using the sums keeps the compiler from dropping the loops.
            throw new IllegalStateException("probe sums are NaN");
        }
        return new ProbeTimings(Math.max(vectorBest, 1), Math.max(scalarBest, 1));
    }

    static float vectorDot(float[] a, float[] b) {
        FloatVector sum = FloatVector.zero(Lanes.FLOATS);
        for (int i = 0; i < a.length; i += Lanes.COUNT) {
            sum = FloatVector.fromArray(Lanes.FLOATS, a, i).fma(FloatVector.fromArray(Lanes.FLOATS, b, i), sum);
        }
        return sum.reduceLanes(VectorOperators.ADD);
    }

    static float scalarDot(float[] a, float[] b) {
        float sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum = Math.fma(a[i], b[i], sum);
        }
        return sum;
    }

    private static Optional<String> vmOption(HotSpotDiagnosticMXBean vm, String name) {
        try {
            return Optional.of(vm.getVMOption(name).getValue());
        } catch (IllegalArgumentException hidden) {
            return Optional.empty();
        }
    }
}
