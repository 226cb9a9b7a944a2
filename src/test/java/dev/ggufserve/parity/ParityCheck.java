package dev.ggufserve.parity;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ggufserve.engine.Engine;
import dev.ggufserve.engine.Sequence;
import dev.ggufserve.gguf.GgufFile;
import dev.ggufserve.sampling.TokenLogprobs;
import java.nio.file.Path;
import java.util.function.Function;

/** The teacher-forced parity check of an engine against the golden answers, shared by the CPU and CUDA tests. */
final class ParityCheck {

    /**
     * llama.cpp's scoring context (llama-oracle creates one of at least 256 tokens); LongRoPE picks its factors
     * from the context length, so the engines' sequences have the same capacity.
     */
    static final int ORACLE_CONTEXT = 256;

    private ParityCheck() {
    }

    /**
     * Scores the golden prompt of {@code name} on {@code file} with the engine {@code loader} builds and asserts
     * the project's parity rule ({@link ParityVerdict}) over the first {@code comparedPositions} positions.
     */
    static void assertParity(String label, String name, Path file, int comparedPositions,
            Function<GgufFile, Engine> loader) {
        ReferenceScores llama = ReferenceScores.load(name, "llama").firstPositions(comparedPositions);
        ReferenceScores exact = ReferenceScores.load(name, "exact").firstPositions(comparedPositions);
        int[] tokens = llama.tokens();
        double[] ours = new double[llama.logProbabilities().length];
        try (GgufFile gguf = GgufFile.open(file);
                Engine engine = loader.apply(gguf);
                Sequence sequence = engine.newSequence(ORACLE_CONTEXT)) {
            sequence.append(tokens, (index, logits) -> {
                if (index < ours.length) {
                    ours[index] = TokenLogprobs.of(logits, tokens[index + 1], 0).logprob();
                }
            });
        }
        ParityVerdict verdict = ParityVerdict.of(ours, llama, exact);
        System.out.printf("%s %-14s %s%n", label, name, verdict);
        assertTrue(verdict.passes(), name + ": " + verdict);
    }
}
