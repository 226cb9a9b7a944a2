package dev.ggufserve.parity;

/**
 * The parity rule of the project, against two references on the same file: our teacher-forced
 * log-probabilities are within 0.02 (mean absolute difference) of llama.cpp's, or at least as close to
 * the exact float64 forward pass as llama.cpp is (mean |ours - exact| <= max(0.005, 1.25 x mean
 * |llama.cpp - exact|)). llama.cpp quantizes activations to 8 bits, so either way of computing is correct.
 */
record ParityVerdict(double oursVsLlama, double oursVsExact, double llamaVsExact) {

    static ParityVerdict of(double[] ours, ReferenceScores llama, ReferenceScores exact) {
        return new ParityVerdict(
                ReferenceScores.meanAbsoluteDifference(ours, llama.logProbabilities()),
                ReferenceScores.meanAbsoluteDifference(ours, exact.logProbabilities()),
                ReferenceScores.meanAbsoluteDifference(llama.logProbabilities(), exact.logProbabilities()));
    }

    boolean passes() {
        return oursVsLlama <= 0.02 || oursVsExact <= Math.max(0.005, 1.25 * llamaVsExact);
    }

    @Override
    public String toString() {
        return String.format("mean|ours-llama.cpp|=%.5f mean|ours-exact|=%.5f mean|llama.cpp-exact|=%.5f",
                oursVsLlama, oursVsExact, llamaVsExact);
    }
}
