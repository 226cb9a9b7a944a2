package dev.ggufserve.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class StopStringFilterTest {

    /** Feeds the chunks one by one and returns everything the filter emitted, finish() included. */
    private static String run(StopStringFilter filter, String... chunks) {
        StringBuilder emitted = new StringBuilder();
        for (String chunk : chunks) {
            emitted.append(filter.accept(chunk));
        }
        emitted.append(filter.finish());
        return emitted.toString();
    }

    @Test
    void withoutStopsTextPassesThroughImmediately() {
        StopStringFilter filter = new StopStringFilter(List.of());

        assertEquals("Hello", filter.accept("Hello"));
        assertEquals(", world", filter.accept(", world"));
        assertEquals("", filter.finish());
        assertFalse(filter.stopped());
    }

    @Test
    void textThatCannotStartAStopIsEmittedAtOnce() {
        StopStringFilter filter = new StopStringFilter(List.of("END"));

        assertEquals("Hello ", filter.accept("Hello "));
        assertEquals("wor", filter.accept("worE"));
        assertEquals("Eld", filter.accept("ld"));
    }

    @Test
    void stopInOneChunkCutsTheTextBeforeIt() {
        StopStringFilter filter = new StopStringFilter(List.of("\n\n"));

        assertEquals("first", filter.accept("first\n\nsecond"));
        assertTrue(filter.stopped());
        assertEquals("", filter.accept("more"));
        assertEquals("", filter.finish());
    }

    @Test
    void stopSplitAcrossTwoChunks() {
        StopStringFilter filter = new StopStringFilter(List.of("</answer>"));

        assertEquals("42", filter.accept("42</ans"));
        assertFalse(filter.stopped());
        assertEquals("", filter.accept("wer> trailing"));
        assertTrue(filter.stopped());
    }

    @Test
    void stopSplitAcrossFourChunks() {
        StopStringFilter filter = new StopStringFilter(List.of("STOP"));

        assertEquals("x", filter.accept("xS"));
        assertEquals("", filter.accept("T"));
        assertEquals("", filter.accept("O"));
        assertFalse(filter.stopped());
        assertEquals("", filter.accept("Py"));
        assertTrue(filter.stopped());
        assertEquals("", filter.finish());
    }

    @Test
    void heldBackTextIsReleasedWhenTheStopDoesNotComplete() {
        StopStringFilter filter = new StopStringFilter(List.of("STOP"));

        assertEquals("a", filter.accept("aST"));
        assertEquals("STa", filter.accept("a"));
        assertEquals("", filter.accept("STO"));
        assertEquals("STO", filter.finish());
        assertFalse(filter.stopped());
    }

    @Test
    void overlappingPrefixFindsTheStopAfterAFalseStart() {
        assertEquals("abc", run(new StopStringFilter(List.of("abcabd")), "abcabcabd"));
        assertEquals("abc", run(new StopStringFilter(List.of("abcabd")), "abcab", "cabd"));
        assertEquals("abc", run(new StopStringFilter(List.of("abcabd")), "ab", "ca", "bc", "abd!"));
    }

    @Test
    void overlappingPrefixEmitsWhatCanNoLongerStartTheStop() {
        StopStringFilter filter = new StopStringFilter(List.of("abcabd"));

        assertEquals("", filter.accept("abcab"));
        // "abcabc" cannot start the stop at 0, but "abc" at 3 still can.
        assertEquals("abc", filter.accept("c"));
        assertEquals("abcabx", filter.accept("abx"));
    }

    @Test
    void earliestMatchInTheTextWinsAmongSeveralStops() {
        List<String> stops = List.of("world", "lo w", "xyz");

        assertEquals("hel", run(new StopStringFilter(stops), "hello world"));
        assertEquals("hel", run(new StopStringFilter(stops), "hello", " wor", "ld"));
    }

    @Test
    void aShorterStopCompletingFirstWinsOverALongerOneStartedEarlier() {
        StopStringFilter filter = new StopStringFilter(List.of("abcdef", "cd"));

        assertEquals("", filter.accept("abc"));
        assertEquals("ab", filter.accept("d"));
        assertTrue(filter.stopped());
    }

    @Test
    void stopAtTheVeryStart() {
        StopStringFilter filter = new StopStringFilter(List.of("<|end|>"));

        assertEquals("", filter.accept("<|end|>after"));
        assertTrue(filter.stopped());
        assertEquals("", run(new StopStringFilter(List.of("<|end|>")), "<|", "end", "|>"));
    }

    @Test
    void unicodeStopsSplitAcrossChunks() {
        assertEquals("答えは42", run(new StopStringFilter(List.of("。終わり")), "答えは4", "2。終", "わり。"));
        // A character outside the BMP is two UTF-16 units; the stop must still match as a whole.
        assertEquals("done ", run(new StopStringFilter(List.of("🛑")), "done 🛑 after"));
        assertEquals("née ", run(new StopStringFilter(List.of("café")), "née ca", "fé"));
        assertEquals("née caf", run(new StopStringFilter(List.of("café")), "née ca", "f"));
    }

    @Test
    void emptyStopIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> new StopStringFilter(List.of("ok", "")));
    }
}
