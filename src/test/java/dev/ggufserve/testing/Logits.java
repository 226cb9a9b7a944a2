package dev.ggufserve.testing;

/** Small computations over logit vectors shared by the engine tests and benchmarks. */
public final class Logits {

    private Logits() {
    }

    /** The id with the highest logit (the lowest id among equals), as greedy decoding picks it. */
    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    /** ||actual - expected|| / ||expected||, in double. */
    public static double relativeError(float[] expected, float[] actual) {
        double difference = 0;
        double norm = 0;
        for (int i = 0; i < expected.length; i++) {
            difference += Math.pow((double) actual[i] - expected[i], 2);
            norm += Math.pow(expected[i], 2);
        }
        return Math.sqrt(difference / norm);
    }
}
