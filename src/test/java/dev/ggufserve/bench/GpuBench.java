package dev.ggufserve.bench;

import dev.ggufserve.engine.Sequence;
import dev.ggufserve.engine.cpu.CpuEngine;
import dev.ggufserve.engine.cuda.CudaEngine;
import dev.ggufserve.gguf.GgufFile;
import dev.ggufserve.testing.Logits;
import dev.ggufserve.testing.WritePhi3MiniModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;

/**
 * Measures the CUDA engine on the full-size Phi-3-mini-shaped Q4_K_M file ({@link WritePhi3MiniModel}, written
 * first when missing): prefill of a 512-token prompt and decoding of 128 tokens (greedy, each step's logits copied
 * back to the host as when serving), then checks the GPU's logits against the CPU engine on the same file.
 *
 * <pre>
 * usage: GpuBench MODEL.gguf
 * </pre>
 */
public final class GpuBench {

    private static final int PROMPT = 512;
    private static final int DECODE = 128;
    private static final int DECODE_PROMPT = 16;
    private static final int RUNS = 3;
    private static final int CHECK_TOKENS = 8;

    private GpuBench() {
    }

    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: GpuBench MODEL.gguf");
            System.exit(2);
        }
        Path file = Path.of(args[0]);
        if (!Files.exists(file)) {
            long start = System.nanoTime();
            WritePhi3MiniModel.write(file, Optional.empty());
            System.out.printf("wrote %s in %.1f s%n", file, seconds(start));
        }
        SplittableRandom random = new SplittableRandom(7);
        try (GgufFile model = GgufFile.open(file)) {
            long loadStart = System.nanoTime();
            try (CudaEngine engine = CudaEngine.load(model)) {
                System.out.printf("loaded on %s in %.1f s%n", engine.deviceDescription(), seconds(loadStart));
                int[] prompt = random.ints(PROMPT, 0, engine.vocabularySize()).toArray();
                double prefill;
                double decode;
                try (Sequence sequence = engine.newSequence(PROMPT + DECODE + DECODE_PROMPT)) {
                    prefill = PROMPT / medianSeconds(() -> {
                        long start = System.nanoTime();
                        sequence.append(prompt, null);
                        double elapsed = seconds(start);
                        sequence.truncate(0);
                        return elapsed;
                    });
                    int[] decodePrompt = Arrays.copyOf(prompt, DECODE_PROMPT);
                    decode = DECODE / medianSeconds(() -> {
                        float[] logits = sequence.append(decodePrompt, null);
                        long start = System.nanoTime();
                        for (int i = 0; i < DECODE; i++) {
                            logits = sequence.append(new int[] {Logits.argmax(logits)}, null);
                        }
                        double elapsed = seconds(start);
                        sequence.truncate(0);
                        return elapsed;
                    });
                }
                System.out.println();
                System.out.println("| card | date | model | prefill, 512-token prompt | decode, 128 tokens |");
                System.out.println("|---|---|---|---|---|");
                System.out.printf("| %s | %s | Phi-3-mini-shaped Q4_K_M (random, %.2f GB) | %.0f tok/s | %.0f tok/s |%n%n",
                        engine.deviceDescription(), LocalDate.now(), Files.size(file) / 1e9, prefill, decode);
                checkAgainstCpu(model, engine, prompt);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Median seconds of {@link #RUNS} timed runs after one warm-up run. */
    private static double medianSeconds(DoubleSupplier timedRun) {
        timedRun.getAsDouble();
        double[] times = new double[RUNS];
        for (int i = 0; i < RUNS; i++) {
            times[i] = timedRun.getAsDouble();
        }
        Arrays.sort(times);
        return times[RUNS / 2];
    }

    /** The logits after a short prompt, prefilled and then decoded one more token, against the CPU engine. */
    private static void checkAgainstCpu(GgufFile model, CudaEngine cuda, int[] prompt) {
        int[] tokens = Arrays.copyOf(prompt, CHECK_TOKENS);
        int[] next = {prompt[CHECK_TOKENS]};
        try (CpuEngine cpu = CpuEngine.load(model, Runtime.getRuntime().availableProcessors());
                Sequence expected = cpu.newSequence(64);
                Sequence actual = cuda.newSequence(64)) {
            double prefillError = Logits.relativeError(expected.append(tokens, null), actual.append(tokens, null));
            double decodeError = Logits.relativeError(expected.append(next, null), actual.append(next, null));
            System.out.printf("check against the CPU engine: relative error of the logits after an %d-token prefill"
                    + " %.2e, after one decoded token %.2e%n", CHECK_TOKENS, prefillError, decodeError);
        }
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }
}
