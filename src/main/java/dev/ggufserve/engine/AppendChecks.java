package dev.ggufserve.engine;

/** The checks every engine's {@link Sequence#append} makes before touching its KV state. */
public final class AppendChecks {

    private AppendChecks() {
    }

    /**
     * @throws IllegalArgumentException when there are no tokens, they do not fit after the {@code length} held
     *                                  of {@code capacity}, or an id is outside {@code [0, vocabularySize)}
     */
    public static void check(int[] tokens, int length, int capacity, int vocabularySize) {
        if (tokens.length == 0) {
            throw new IllegalArgumentException("no tokens to append");
        }
        if (tokens.length > capacity - length) {
            throw new IllegalArgumentException("cannot append " + tokens.length + " tokens to a sequence holding "
                    + length + " of at most " + capacity);
        }
        for (int token : tokens) {
            if (token < 0 || token >= vocabularySize) {
                throw new IllegalArgumentException("token id " + token + " is outside the vocabulary [0, "
                        + vocabularySize + ")");
            }
        }
    }
}
