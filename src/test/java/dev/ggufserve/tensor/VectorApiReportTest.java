package dev.ggufserve.tensor;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VectorApiReportTest {

    /** A VM showing exactly {@code options}; the rest hidden, as locked experimental options are. */
    private static VectorApiReport hotSpot(boolean hasJit, Map<String, String> options) {
        return VectorApiReport.fromHotSpotOptions(hasJit, name -> Optional.ofNullable(options.get(name)));
    }

    @Test
    void hotSpotWithC2AndDefaultOptionsIsIntrinsified() {
        VectorApiReport report = hotSpot(true, Map.of("UseCompiler", "true", "TieredCompilation", "true",
                "TieredStopAtLevel", "4"));
        assertTrue(report.intrinsified());
        assertEquals("HotSpot C2", report.runtime());
        assertEquals("EnableVectorSupport at its default (on); once C2 has compiled the kernels", report.evidence());
        assertTrue(hotSpot(true, Map.of("TieredCompilation", "false", "TieredStopAtLevel", "1")).intrinsified(),
                "without tiers, C2 is the only compiler whatever TieredStopAtLevel says");
        assertTrue(hotSpot(true, Map.of("EnableVectorSupport", "true")).intrinsified());
    }

    @Test
    void hotSpotWithoutC2OrWithoutVectorSupportRunsTheFallback() {
        VectorApiReport interpreter = hotSpot(false, Map.of("UseCompiler", "false"));
        assertFalse(interpreter.intrinsified());
        assertEquals("no JIT compiler (-Xint)", interpreter.evidence());

        VectorApiReport c1 = hotSpot(true, Map.of("TieredCompilation", "true", "TieredStopAtLevel", "1"));
        assertFalse(c1.intrinsified());
        assertEquals("HotSpot C1", c1.runtime());

        VectorApiReport disabled = hotSpot(true, Map.of("EnableVectorSupport", "false"));
        assertFalse(disabled.intrinsified());
        assertEquals("-XX:-EnableVectorSupport", disabled.evidence());

        VectorApiReport graal = hotSpot(true, Map.of("UseJVMCICompiler", "true"));
        assertFalse(graal.intrinsified(), "not claimed for the Graal JIT");
        assertEquals("HotSpot with the Graal JIT", graal.runtime());
    }

    @Test
    void theProbeDecidesByWhichDotProductWasFaster() {
        VectorApiReport simd = VectorApiReport.fromProbe("native image", new VectorApiReport.ProbeTimings(100, 800));
        assertTrue(simd.intrinsified());
        assertEquals("a vector dot product ran 8.0x the speed of the scalar one", simd.evidence());

        VectorApiReport fallback = VectorApiReport.fromProbe("native image",
                new VectorApiReport.ProbeTimings(4000, 800));
        assertFalse(fallback.intrinsified());
        assertEquals("a vector dot product ran 0.2x the speed of the scalar one", fallback.evidence());
        assertTrue(fallback.line().contains("NOT intrinsified"), fallback.line());
    }

    /** The probe's two dot products compute the same exact sum (its inputs make every partial sum exact). */
    @Test
    void theProbesDotProductsAgree() {
        float[] a = new float[1024];
        float[] b = new float[1024];
        double expected = 0;
        for (int i = 0; i < a.length; i++) {
            a[i] = (i % 7) * 0.25f;
            b[i] = (i % 5) * 0.5f;
            expected += (double) a[i] * b[i];
        }
        assertEquals(expected, VectorApiReport.vectorDot(a, b));
        assertEquals(expected, VectorApiReport.scalarDot(a, b));
        VectorApiReport.ProbeTimings timings = VectorApiReport.probe();
        assertTrue(timings.vectorNanos() > 0 && timings.scalarNanos() > 0, timings.toString());
    }

    /** This test JVM is HotSpot; the line names the kernels' own vector width. */
    @Test
    void detectsThisJvmAndTheKernelsVectorWidth() {
        VectorApiReport report = VectorApiReport.detect();
        assertTrue(report.runtime().startsWith("HotSpot"), report.runtime());
        assertEquals(Lanes.FLOATS.vectorBitSize(), report.vectorBits());
        assertEquals(Lanes.COUNT, report.floatLanes());
        assertTrue(report.line().startsWith("Vector API: " + Lanes.FLOATS.vectorBitSize() + "-bit vectors ("
                + Lanes.COUNT + " floats), HotSpot"), report.line());
    }
}
