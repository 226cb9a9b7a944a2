package dev.ggufserve.engine.cpu;

import dev.ggufserve.engine.Sequence;
import dev.ggufserve.gguf.GgufFile;
import dev.ggufserve.model.LayerWeights;
import dev.ggufserve.model.ModelConfig;
import dev.ggufserve.model.ModelWeights;
import dev.ggufserve.tensor.WeightMatrix;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * Where a decode step's time goes, on a real model file: each kind of matrix-vector product over all layers (one
 * token's worth, so the weights stream from memory as in decode) on 1 and 2 threads, the cost of handing out an
 * empty parallel region, and the whole step through {@link CpuSequence} for comparison. Medians of several passes.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp target/test-classes:target/classes \
 *     dev.ggufserve.engine.cpu.DecodeProfile /tmp/phi3-mini-q4_k_m.gguf [passes]
 * </pre>
 */
public final class DecodeProfile {

    private DecodeProfile() {
    }

    public static void main(String[] args) {
        Path model = Path.of(args[0]);
        int passes = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        try (GgufFile file = GgufFile.open(model);
                ParallelRunner one = new ParallelRunner(1);
                ParallelRunner two = new ParallelRunner(2)) {
            ModelConfig config = ModelConfig.read(file);
            ModelWeights weights = ModelWeights.bind(file, config);
            List<LayerWeights> layers = weights.layers();
            record Kind(String name, Function<LayerWeights, List<WeightMatrix>> matrices) {
            }
            List<Kind> kinds = List.of(
                    new Kind("qkv", LayerWeights::qkvProjections),
                    new Kind("o", w -> List.of(w.attentionOutput())),
                    new Kind("gate/up", LayerWeights::gateUpProjections),
                    new Kind("down", w -> List.of(w.feedForwardDown())));
            double totalOne = 0;
            double totalTwo = 0;
            System.out.println("| product | GB per token | 1 thread ms | 1 thread GB/s | 2 threads ms | 2 threads GB/s | "
                    + "scaling |");
            System.out.println("|---|---|---|---|---|---|---|");
            for (Kind kind : kinds) {
                List<WeightMatrix> all = new ArrayList<>();
                for (LayerWeights layer : layers) {
                    all.addAll(kind.matrices().apply(layer));
                }
                double[] times = report(kind.name(), all, one, two, passes);
                totalOne += times[0];
                totalTwo += times[1];
            }
            double[] times = report("output", List.of(weights.output()), one, two, passes);
            totalOne += times[0];
            totalTwo += times[1];
            System.out.printf("| all products | | %.1f | | %.1f | | %.2fx |%n", totalOne, totalTwo, totalOne / totalTwo);

            int regions = 100_000;
            ParallelRunner.RangeTask nothing = (worker, from, to) -> { };
            for (int warm = 0; warm < 3; warm++) {
                long start = System.nanoTime();
                for (int i = 0; i < regions; i++) {
                    two.forRange(2, Long.MAX_VALUE / 4, nothing);
                }
                if (warm == 2) {
                    System.out.printf("empty 2-thread region: %.2f us%n", (System.nanoTime() - start) / 1e3 / regions);
                }
            }

            CpuEngine engine = CpuEngine.load(file, 2);
            int prompt = 64;
            int gen = 64;
            int[] tokens = new int[prompt];
            for (int i = 0; i < prompt; i++) {
                tokens[i] = 100 + (i * 7919) % 20000;
            }
            double[] stepMs = new double[passes];
            for (int p = 0; p < passes; p++) {
                try (Sequence sequence = engine.newSequence(prompt + gen)) {
                    sequence.append(tokens, null);
                    long start = System.nanoTime();
                    for (int i = 0; i < gen; i++) {
                        sequence.append(new int[] {tokens[i]}, null);
                    }
                    stepMs[p] = (System.nanoTime() - start) / 1e6 / gen;
                }
            }
            engine.close();
            Arrays.sort(stepMs);
            System.out.printf("whole decode step (2 threads, positions %d-%d): %.1f ms = %.2f tok/s; "
                    + "products alone %.1f ms%n", prompt, prompt + gen, stepMs[passes / 2], 1000 / stepMs[passes / 2],
                    totalTwo);
        }
    }

    /** Prints one table row; returns the median ms on 1 and on 2 threads. */
    private static double[] report(String name, List<WeightMatrix> matrices, ParallelRunner one, ParallelRunner two,
            int passes) {
        long bytes = 0;
        for (WeightMatrix matrix : matrices) {
            bytes += matrix.encodedBytes().byteSize();
        }
        double msOne = time(matrices, one, passes);
        double msTwo = time(matrices, two, passes);
        System.out.printf("| %s | %.3f | %.1f | %.1f | %.1f | %.1f | %.2fx |%n", name, bytes / 1e9, msOne,
                bytes / msOne / 1e6, msTwo, bytes / msTwo / 1e6, msOne / msTwo);
        return new double[] {msOne, msTwo};
    }

    /** Median ms of one pass of matVec over every matrix, each split across the runner's threads. */
    private static double time(List<WeightMatrix> matrices, ParallelRunner runner, int passes) {
        int cols = matrices.getFirst().cols();
        float[] x = new float[cols];
        SplittableRandom random = new SplittableRandom(1);
        for (int i = 0; i < cols; i++) {
            x[i] = (float) random.nextGaussian();
        }
        int maxRows = 0;
        for (WeightMatrix matrix : matrices) {
            maxRows = Math.max(maxRows, matrix.rows());
        }
        float[] out = new float[maxRows];
        double[] ms = new double[passes + 1];
        for (int p = 0; p <= passes; p++) {
            long start = System.nanoTime();
            for (WeightMatrix matrix : matrices) {
                runner.forRange(matrix.rows(), cols,
                        (worker, from, to) -> matrix.matVec(x, 0, out, 0, from, to));
            }
            ms[p] = (System.nanoTime() - start) / 1e6;
        }
        // the first pass warms up the JIT
        double[] measured = Arrays.copyOfRange(ms, 1, passes + 1);
        Arrays.sort(measured);
        return measured[passes / 2];
    }
}
