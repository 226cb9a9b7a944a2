package dev.ggufserve.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The start-up warm-up of the prompt path's attention runs for the head shapes the CPU engine serves: head widths
 * that are and are not a multiple of the 6-wide kernel groups, no sliding window, and a window shorter than its
 * synthetic cache (so blocks start past key 0).
 */
class TileAttentionWarmUpTest {

    @ParameterizedTest
    @CsvSource({"96, 0", "128, 4096", "64, 0", "80, 32"})
    void warmUpRunsForHeadShape(int headDim, int window) {
        assertDoesNotThrow(() -> TileAttention.warmUp(headDim, window, (float) (1.0 / Math.sqrt(headDim))));
    }
}
