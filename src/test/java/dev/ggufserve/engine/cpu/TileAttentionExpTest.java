package dev.ggufserve.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ggufserve.tensor.Lanes;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** The softmax's vector e^x against {@link Math#exp} over the range it is used on (x <= 0). */
class TileAttentionExpTest {

    @Test
    void expMatchesMathExpForNonPositiveArguments() {
        int count = Lanes.FLOATS.length();
        float[] x = new float[count];
        float[] y = new float[count];
        double worst = 0;
        // x from 0 down to -86.9 in steps of 1e-4; below -87 the result is flushed to 0 (next test)
        for (int step = 0; step < 869_000; step += count) {
            for (int lane = 0; lane < count; lane++) {
                x[lane] = -(step + lane) * 1e-4f;
            }
            TileAttention.exp(FloatVector.fromArray(Lanes.FLOATS, x, 0)).intoArray(y, 0);
            for (int lane = 0; lane < count; lane++) {
                double exact = Math.exp(x[lane]);
                worst = Math.max(worst, Math.abs(y[lane] - exact) / exact);
            }
        }
        assertTrue(worst < 4e-7, "largest relative error " + worst);
    }

    @Test
    void expIsOneAtZeroAndZeroFarBelow() {
        float[] x = new float[Lanes.FLOATS.length()];
        float[] y = new float[x.length];
        x[1] = -100f;
        x[2] = Float.NEGATIVE_INFINITY;
        TileAttention.exp(FloatVector.fromArray(Lanes.FLOATS, x, 0)).intoArray(y, 0);
        assertEquals(1f, y[0]);
        assertEquals(0f, y[1]);
        assertEquals(0f, y[2]);
    }
}
