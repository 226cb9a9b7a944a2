package dev.ggufserve.bench;

import dev.ggufserve.engine.Sequence;
import dev.ggufserve.engine.cpu.CpuEngine;
import dev.ggufserve.gguf.GgufFile;
import dev.ggufserve.testing.Logits;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Times the CPU engine directly, without the HTTP server: prefill of a synthetic prompt (the token ids llama-oracle's
 * bench uses, {@code 100 + (i * 7919) % 20000}) and greedy decode, several runs, one JSON line per run.
 *
 * <pre>
 * usage: EngineBench MODEL.gguf [--threads 2] [--prompt 64] [--gen 32] [--runs 3]
 * java --add-modules jdk.incubator.vector -cp target/test-classes:target/classes dev.ggufserve.bench.EngineBench \
 *     /tmp/phi3-mini-q4_k_m.gguf --prompt 64 --gen 32
 * </pre>
 */
public final class EngineBench {

    private EngineBench() {
    }

    public static void main(String[] args) {
        Path model = Path.of(args[0]);
        int threads = option(args, "threads", 2);
        int prompt = option(args, "prompt", 64);
        int gen = option(args, "gen", 32);
        int runs = option(args, "runs", 3);
        int[] tokens = new int[prompt];
        for (int i = 0; i < prompt; i++) {
            tokens[i] = 100 + (i * 7919) % 20000;
        }
        try (GgufFile file = GgufFile.open(model); CpuEngine engine = CpuEngine.load(file, threads)) {
            for (int run = 0; run < runs; run++) {
                try (Sequence sequence = engine.newSequence(prompt + gen + 16)) {
                    long start = System.nanoTime();
                    float[] logits = sequence.append(tokens, null);
                    long prefilled = System.nanoTime();
                    checkSpread(logits);
                    int next = Logits.argmax(logits);
                    for (int i = 0; i < gen; i++) {
                        logits = sequence.append(new int[] {next}, null);
                        next = Logits.argmax(logits);
                    }
                    long done = System.nanoTime();
                    System.out.printf("{\"run\":%d,\"prompt\":%d,\"prefill_tok_s\":%.2f,\"gen\":%d,"
                                    + "\"decode_tok_s\":%.2f,\"last_token\":%d}%n", run, prompt,
                            prompt / ((prefilled - start) / 1e9), gen, gen / ((done - prefilled) / 1e9), next);
                }
            }
        }
    }

    /** Random weights must still give finite, spread-out logits, or the timing is of a broken model. */
    private static void checkSpread(float[] logits) {
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (float logit : logits) {
            if (!Float.isFinite(logit)) {
                throw new IllegalStateException("non-finite logit " + logit);
            }
            min = Math.min(min, logit);
            max = Math.max(max, logit);
        }
        if (max - min < 1e-3) {
            throw new IllegalStateException("logits do not spread: " + Arrays.toString(Arrays.copyOf(logits, 8)));
        }
    }

    private static int option(String[] args, String name, int fallback) {
        for (int i = 1; i + 1 < args.length; i++) {
            if (args[i].equals("--" + name)) {
                return Integer.parseInt(args[i + 1]);
            }
        }
        return fallback;
    }
}
