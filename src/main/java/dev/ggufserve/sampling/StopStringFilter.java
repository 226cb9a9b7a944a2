package dev.ggufserve.sampling;

import java.util.List;

/**
 * Cuts generated text at the first stop string, which may arrive split across any number of
 * {@link #accept} calls. Text that could still turn out to be the start of a stop string is held back
 * until the next chunk decides it; the stop string itself is never emitted.
 *
 * <p>One filter serves one request and is used by one thread at a time.
 */
public final class StopStringFilter {

    private final List<String> stops;
    /** Text received but not yet emitted: always a (possibly empty) proper prefix of some stop. */
    private String heldBack = "";
    private boolean stopped;

    /**
     * @param stops the stop strings (OpenAI allows up to 4); each must be non-empty, since an empty
     *              stop would match before any text
     */
    public StopStringFilter(List<String> stops) {
        for (String stop : stops) {
            if (stop.isEmpty()) {
                throw new IllegalArgumentException("a stop string must not be empty");
            }
        }
        this.stops = List.copyOf(stops);
    }

    /**
     * Takes the next piece of generated text and returns what can be emitted now. Once a stop string
     * is complete, returns only the text before it, {@link #stopped()} becomes true, and every later
     * call returns "".
     */
    public String accept(String text) {
        if (stopped) {
            return "";
        }
        String pending = heldBack + text;
        int stopStart = earliestStopStart(pending);
        if (stopStart >= 0) {
            stopped = true;
            heldBack = "";
            return pending.substring(0, stopStart);
        }
        // No stop is complete. Every stop that starts in the text starts inside the longest suffix that
        // is a prefix of some stop: any earlier start would make a longer such suffix. So everything
        // before that suffix is safe to emit.
        int keepFrom = pending.length() - longestSuffixThatStartsAStop(pending);
        heldBack = pending.substring(keepFrom);
        return pending.substring(0, keepFrom);
    }

    /** Whether a stop string has been matched. */
    public boolean stopped() {
        return stopped;
    }

    /**
     * At the end of generation, returns the text still held back (it did not become a stop string),
     * or "" when a stop was matched.
     */
    public String finish() {
        String rest = heldBack;
        heldBack = "";
        return rest;
    }

    /** Index where the earliest stop occurrence in {@code text} begins, or -1 when there is none. */
    private int earliestStopStart(String text) {
        int earliest = -1;
        for (String stop : stops) {
            int start = text.indexOf(stop);
            if (start >= 0 && (earliest < 0 || start < earliest)) {
                earliest = start;
            }
        }
        return earliest;
    }

    /** Length of the longest suffix of {@code text} that is a proper prefix of some stop. */
    private int longestSuffixThatStartsAStop(String text) {
        int longest = 0;
        for (String stop : stops) {
            for (int length = Math.min(stop.length() - 1, text.length()); length > longest; length--) {
                if (text.regionMatches(text.length() - length, stop, 0, length)) {
                    longest = length;
                    break;
                }
            }
        }
        return longest;
    }
}
