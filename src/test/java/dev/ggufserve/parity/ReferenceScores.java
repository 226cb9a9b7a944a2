package dev.ggufserve.parity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A reference's teacher-forced answer for one prompt, as written by llama-oracle {@code score} and the
 * float reference's {@code ref_forward.py}: for every position i >= 1, the probability of tokens[i]
 * after tokens[0..i-1]. Golden files live in {@code src/test/resources/parity} (see make-goldens.sh).
 */
record ReferenceScores(int[] tokens, double[] logProbabilities) {

    private static final ObjectMapper JSON = new ObjectMapper();

    static ReferenceScores load(String name, String reference) {
        int[] tokens = Arrays.stream(resource(name + ".tokens").trim().split(","))
                .mapToInt(Integer::parseInt).toArray();
        List<Double> logProbabilities = new ArrayList<>();
        for (String line : resource(name + "." + reference + ".jsonl").split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            try {
                JsonNode score = JSON.readTree(line);
                int position = score.get("pos").asInt();
                if (position != logProbabilities.size() + 1 || score.get("token").asInt() != tokens[position]) {
                    throw new IllegalStateException(name + "." + reference + ": unexpected line " + line);
                }
                logProbabilities.add(Math.log(Math.max(score.get("prob").asDouble(), 1e-300)));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return new ReferenceScores(tokens, logProbabilities.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /** The answer for the first {@code count} scored positions only. */
    ReferenceScores firstPositions(int count) {
        if (count >= logProbabilities.length) {
            return this;
        }
        return new ReferenceScores(Arrays.copyOf(tokens, count + 1), Arrays.copyOf(logProbabilities, count));
    }

    /** Mean |a - b| over the scored positions. */
    static double meanAbsoluteDifference(double[] a, double[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("different lengths " + a.length + " and " + b.length);
        }
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += Math.abs(a[i] - b[i]);
        }
        return sum / a.length;
    }

    static String resource(String name) {
        try (InputStream in = ReferenceScores.class.getResourceAsStream("/parity/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing golden file parity/" + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
