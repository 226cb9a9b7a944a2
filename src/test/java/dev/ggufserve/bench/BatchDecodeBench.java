package dev.ggufserve.bench;

import dev.ggufserve.engine.StepEntry;
import dev.ggufserve.engine.StepExecutor;
import dev.ggufserve.engine.cpu.CpuEngine;
import dev.ggufserve.gguf.GgufFile;
import dev.ggufserve.testing.Logits;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Times batched decode on the CPU engine directly, without the HTTP server: for each batch size N, N sequences with
 * fresh prompts (no two share a token prefix) are prefilled, then {@code gen} steps each decode one greedy token of
 * every sequence in one {@link StepExecutor#step}. Prints the decode steps' aggregate tokens per second (N x gen /
 * time), one JSON line per N and run, and a table of medians. A warm-up pass of every N with a few steps runs first,
 * so the JIT has compiled each step shape before anything is timed.
 *
 * <pre>
 * usage: BatchDecodeBench MODEL.gguf [--threads 2] [--prompt 64] [--gen 32] [--runs 1] [--batches 1,4,8,16]
 * java --add-modules jdk.incubator.vector -cp target/test-classes:target/classes dev.ggufserve.bench.BatchDecodeBench \
 *     /tmp/phi3-mini-q4_k_m.gguf
 * </pre>
 */
public final class BatchDecodeBench {

    /** The warm-up pass: short prompts (prefill is not what is timed), a few decode steps. */
    private static final int WARM_UP_PROMPT = 16;
    private static final int WARM_UP_STEPS = 3;

    private BatchDecodeBench() {
    }

    public static void main(String[] args) {
        Path model = Path.of(args[0]);
        int threads = option(args, "threads", "2")[0];
        int prompt = option(args, "prompt", "64")[0];
        int gen = option(args, "gen", "32")[0];
        int runs = option(args, "runs", "1")[0];
        int[] batches = option(args, "batches", "1,4,8,16");
        int largest = Arrays.stream(batches).max().orElseThrow();
        try (GgufFile file = GgufFile.open(model); CpuEngine engine = CpuEngine.load(file, threads)) {
            int pagesPerSequence = (prompt + gen + 15) / 16;
            try (StepExecutor executor = engine.newStepExecutor(largest * pagesPerSequence, Math.max(largest, prompt),
                    Math.min(engine.trainedContextLength(), largest * pagesPerSequence * engine.kvPagePositions()))) {
                int seed = 0;
                for (int n : batches) {
                    decode(engine, executor, n, Math.min(prompt, WARM_UP_PROMPT), WARM_UP_STEPS, pagesPerSequence,
                            seed++);
                }
                double[][] tokensPerSecond = new double[batches.length][runs];
                for (int run = 0; run < runs; run++) {
                    for (int b = 0; b < batches.length; b++) {
                        double rate = decode(engine, executor, batches[b], prompt, gen, pagesPerSequence, seed++);
                        tokensPerSecond[b][run] = rate;
                        System.out.printf("{\"run\":%d,\"sequences\":%d,\"prompt\":%d,\"gen\":%d,"
                                + "\"decode_tok_s\":%.2f}%n", run, batches[b], prompt, gen, rate);
                    }
                }
                System.out.println("| sequences | decode tok/s (all sequences) | per sequence |");
                System.out.println("|---|---|---|");
                for (int b = 0; b < batches.length; b++) {
                    double[] rates = tokensPerSecond[b].clone();
                    Arrays.sort(rates);
                    double median = rates[runs / 2];
                    System.out.printf("| %d | %.2f | %.2f |%n", batches[b], median, median / batches[b]);
                }
            }
        }
    }

    /**
     * Prefills {@code n} fresh prompts (one step each), then runs {@code steps} decode steps of all {@code n}; returns
     * the decode steps' tokens per second.
     */
    private static double decode(CpuEngine engine, StepExecutor executor, int n, int prompt, int steps,
            int pagesPerSequence, int seed) {
        int vocabulary = engine.vocabularySize();
        int[][] pageTables = new int[n][pagesPerSequence];
        float[][] logits = new float[n][vocabulary];
        int[] next = new int[n];
        for (int s = 0; s < n; s++) {
            for (int p = 0; p < pagesPerSequence; p++) {
                pageTables[s][p] = s * pagesPerSequence + p;
            }
            int[] tokens = new int[prompt];
            for (int i = 0; i < prompt; i++) {
                // llama-oracle's bench ids, shifted per sequence and pass so no prefix repeats
                tokens[i] = 100 + ((seed * 64 + s) * 7 + i * 7919) % 20000;
            }
            executor.step(List.of(new StepEntry(s, pageTables[s], 0, tokens, logits[s], null)));
            next[s] = Logits.argmax(logits[s]);
        }
        long start = System.nanoTime();
        for (int step = 0; step < steps; step++) {
            List<StepEntry> entries = new ArrayList<>(n);
            for (int s = 0; s < n; s++) {
                entries.add(new StepEntry(s, pageTables[s], prompt + step, new int[] {next[s]}, logits[s], null));
            }
            executor.step(entries);
            for (int s = 0; s < n; s++) {
                next[s] = Logits.argmax(logits[s]);
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        for (int s = 0; s < n; s++) {
            executor.release(s);
        }
        return (double) n * steps / seconds;
    }

    /** The comma-separated integers after {@code --name}, or {@code fallback}'s. */
    private static int[] option(String[] args, String name, String fallback) {
        String value = fallback;
        for (int i = 1; i + 1 < args.length; i++) {
            if (args[i].equals("--" + name)) {
                value = args[i + 1];
            }
        }
        return Arrays.stream(value.split(",")).mapToInt(Integer::parseInt).toArray();
    }
}
