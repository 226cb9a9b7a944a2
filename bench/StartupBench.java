import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Measures gguf-serve's start-up from process start: to /q/health/ready answering 200, and to the first
 * streamed token of a request sent the moment it is ready. Then, unless PROMPT_TOKENS is 0, the prefill rate of
 * the first long prompt after start against a later one: right after the first-token request, a prompt of
 * PROMPT_TOKENS token ids with max_tokens 1 (the first long prompt this process sees), then {@link #WARM_UP_PROMPTS}
 * more, untimed, then one more timed; rate = prompt tokens / time to the complete response. A first long prompt
 * slower than the later one means a request reached code that the start-up warm-up did not compile. Run by
 * bench/startup.sh; a single-file program (java bench/StartupBench.java ...), so the measuring side is one warm JVM
 * that polls every 5 ms instead of a shell spawning a curl per poll on the same two cores.
 *
 * <pre>
 * usage: java bench/StartupBench.java RUNS PROMPT_TOKENS LOG_DIR VARIANT=DIR=JVM_FLAGS... -- MODEL_LABEL=MODEL_PATH...
 *   PROMPT_TOKENS          length of the long prompts (token ids), 0 to skip them
 *   VARIANT=DIR=JVM_FLAGS  a name, the quarkus-app directory to start from, and extra JVM flags ("" for none),
 *                          e.g. "aot=bench/out/startup/aot-jar=-XX:AOTCache=app.aot"
 *   MODEL_PATH             a GGUF file, or "bundled" for the demo model inside the application
 * </pre>
 * Runs alternate between variants (run 1 of every variant, then run 2, ...), so a slow phase of the machine
 * does not land on one variant only. Prints one line per run and a Markdown table of medians.
 */
public final class StartupBench {

    /** Flags every run needs (the run contract in README.md). */
    private static final List<String> ENGINE_FLAGS = List.of("--add-modules", "jdk.incubator.vector",
            "--enable-native-access=ALL-UNNAMED", "-XX:CompileCommand=quiet",
            "-XX:CompileCommand=CompileThresholdScaling,dev.ggufserve.tensor.*::*,0.01",
            "-XX:-UseOnStackReplacement");
    private static final Duration GIVE_UP = Duration.ofMinutes(3);
    /** Long prompts sent between the first and the second timed one, so the JIT has settled for the second. */
    private static final int WARM_UP_PROMPTS = 2;

    record Variant(String name, Path appDir, List<String> jvmFlags) {
    }

    record Model(String label, String path) {
    }

    /** Prefill rates are NaN when the long prompts are skipped. */
    record Run(double readySeconds, double firstTokenSeconds, double firstPrefillRate, double warmPrefillRate) {
    }

    public static void main(String[] args) throws Exception {
        int runs = Integer.parseInt(args[0]);
        int promptTokens = Integer.parseInt(args[1]);
        Path logDir = Files.createDirectories(Path.of(args[2]));
        List<Variant> variants = new ArrayList<>();
        List<Model> models = new ArrayList<>();
        boolean readingModels = false;
        for (String arg : Arrays.asList(args).subList(3, args.length)) {
            if (arg.equals("--")) {
                readingModels = true;
            } else if (readingModels) {
                String[] parts = arg.split("=", 2);
                models.add(new Model(parts[0], parts[1]));
            } else {
                String[] parts = arg.split("=", 3);
                List<String> flags = parts[2].isBlank() ? List.of() : List.of(parts[2].trim().split("\\s+"));
                variants.add(new Variant(parts[0], Path.of(parts[1]).toAbsolutePath(), flags));
            }
        }

        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        Map<String, List<Run>> results = new LinkedHashMap<>();
        for (Model model : models) {
            for (int run = 1; run <= runs; run++) {
                for (Variant variant : variants) {
                    Path log = logDir.resolve(model.label() + "-" + variant.name() + "-" + run + ".log");
                    Run result = measure(http, variant, model, promptTokens, log);
                    results.computeIfAbsent(model.label() + "|" + variant.name(), key -> new ArrayList<>()).add(result);
                    System.out.printf("%s %s run %d: ready %.3f s, first token %.3f s", model.label(), variant.name(),
                            run, result.readySeconds(), result.firstTokenSeconds());
                    if (promptTokens > 0) {
                        System.out.printf(", %d-token prefill: first %.2f tok/s, warm %.2f tok/s", promptTokens,
                                result.firstPrefillRate(), result.warmPrefillRate());
                    }
                    System.out.println();
                }
            }
        }

        System.out.println();
        System.out.printf("| model | start | runs | ready (median) | first token (median) | ready (min-max) | first token (min-max) |%n");
        System.out.printf("|---|---|---|---|---|---|---|%n");
        for (Map.Entry<String, List<Run>> entry : results.entrySet()) {
            String[] key = entry.getKey().split("\\|");
            double[] ready = sorted(entry.getValue(), Run::readySeconds);
            double[] first = sorted(entry.getValue(), Run::firstTokenSeconds);
            System.out.printf("| %s | %s | %d | %.2f s | %.2f s | %.2f-%.2f s | %.2f-%.2f s |%n", key[0], key[1],
                    ready.length, median(ready), median(first), ready[0], ready[ready.length - 1], first[0],
                    first[first.length - 1]);
        }
        if (promptTokens > 0) {
            System.out.println();
            System.out.printf("| model | start | runs | first %d-token prefill (median) | warm (median) | first / warm "
                    + "(median of runs) | first (min-max) | warm (min-max) |%n", promptTokens);
            System.out.printf("|---|---|---|---|---|---|---|---|%n");
            for (Map.Entry<String, List<Run>> entry : results.entrySet()) {
                String[] key = entry.getKey().split("\\|");
                double[] firstRate = sorted(entry.getValue(), Run::firstPrefillRate);
                double[] warmRate = sorted(entry.getValue(), Run::warmPrefillRate);
                double[] ratio = sorted(entry.getValue(), run -> run.firstPrefillRate() / run.warmPrefillRate());
                System.out.printf("| %s | %s | %d | %.1f tok/s | %.1f tok/s | %.2f | %.1f-%.1f tok/s | %.1f-%.1f tok/s |%n",
                        key[0], key[1], firstRate.length, median(firstRate), median(warmRate), median(ratio),
                        firstRate[0], firstRate[firstRate.length - 1], warmRate[0], warmRate[warmRate.length - 1]);
            }
        }
    }

    private static double[] sorted(List<Run> runs, ToDoubleFunction<Run> value) {
        return runs.stream().mapToDouble(value).sorted().toArray();
    }

    private static Run measure(HttpClient http, Variant variant, Model model, int promptTokens, Path log)
            throws Exception {
        int port = freePort();
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(ENGINE_FLAGS);
        command.addAll(variant.jvmFlags());
        command.addAll(List.of("-jar", "quarkus-run.jar"));
        ProcessBuilder builder = new ProcessBuilder(command).directory(variant.appDir().toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("QUARKUS_HTTP_PORT", Integer.toString(port));
        builder.environment().put("LLM_THREADS", "2");
        if (model.path().equals("bundled")) {
            builder.environment().remove("LLM_MODEL_PATH");
        } else {
            builder.environment().put("LLM_MODEL_PATH", Path.of(model.path()).toAbsolutePath().toString());
        }
        String base = "http://localhost:" + port;

        long start = System.nanoTime();
        Process process = builder.start();
        try {
            HttpRequest ready = HttpRequest.newBuilder(URI.create(base + "/q/health/ready"))
                    .timeout(Duration.ofSeconds(2)).build();
            while (true) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("the server exited with " + process.exitValue() + "; see " + log);
                }
                if (System.nanoTime() - start > GIVE_UP.toNanos()) {
                    throw new IllegalStateException("not ready after " + GIVE_UP + "; see " + log);
                }
                try {
                    if (http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                        break;
                    }
                } catch (IOException notListeningYet) {
                    // The HTTP server is not up yet: poll again.
                }
                Thread.sleep(5);
            }
            long readyAt = System.nanoTime();

            // The id to send: the served model's, as a client would read it from /v1/models.
            String models = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/models")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            String modelId = models.replaceFirst("(?s).*?\"id\":\"([^\"]*)\".*", "$1");
            String body = "{\"model\":\"" + modelId + "\",\"prompt\":\"Once upon a time\",\"max_tokens\":8,\"stream\":true}";
            HttpRequest completion = HttpRequest.newBuilder(URI.create(base + "/v1/completions"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build();
            HttpResponse<java.io.InputStream> response = http.send(completion, HttpResponse.BodyHandlers.ofInputStream());
            long firstTokenAt = -1;
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = lines.readLine()) != null) {
                    // The first event that carries generated text; keep-alive comments (": ...") do not count.
                    if (firstTokenAt < 0 && line.startsWith("data: {") && line.contains("\"text\":")) {
                        firstTokenAt = System.nanoTime();
                    }
                }
            }
            if (response.statusCode() != 200 || firstTokenAt < 0) {
                throw new IllegalStateException("no streamed token (HTTP " + response.statusCode() + "); see " + log);
            }
            double firstPrefillRate = Double.NaN;
            double warmPrefillRate = Double.NaN;
            if (promptTokens > 0) {
                firstPrefillRate = prefillRate(http, base, modelId, promptTokens, 0, log);
                for (int prompt = 1; prompt <= WARM_UP_PROMPTS; prompt++) {
                    prefillRate(http, base, modelId, promptTokens, prompt, log);
                }
                warmPrefillRate = prefillRate(http, base, modelId, promptTokens, WARM_UP_PROMPTS + 1, log);
            }
            return new Run((readyAt - start) / 1e9, (firstTokenAt - start) / 1e9, firstPrefillRate, warmPrefillRate);
        } finally {
            process.destroy();
            process.waitFor();
        }
    }

    /**
     * Prompt tokens per second of a completion of {@code tokens} token ids with max_tokens 1: the time to the whole
     * response is the prefill and one sampled token. The ids lie in [300, 500), ordinary tokens in both the bundled
     * model's 512-token vocabulary and Phi-3's; each {@code prompt} number gives different ids, so no prompt repeats
     * an earlier one.
     */
    private static double prefillRate(HttpClient http, String base, String modelId, int tokens, int prompt, Path log)
            throws IOException, InterruptedException {
        StringBuilder ids = new StringBuilder();
        for (int i = 0; i < tokens; i++) {
            ids.append(i == 0 ? "" : ",").append(300 + (prompt * 31 + i * 7) % 200);
        }
        String body = "{\"model\":\"" + modelId + "\",\"prompt\":[" + ids + "],\"max_tokens\":1,\"temperature\":0}";
        HttpRequest completion = HttpRequest.newBuilder(URI.create(base + "/v1/completions"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        long start = System.nanoTime();
        HttpResponse<String> response = http.send(completion, HttpResponse.BodyHandlers.ofString());
        long end = System.nanoTime();
        String promptTokens = response.body().replaceFirst("(?s).*\"prompt_tokens\":(\\d+).*", "$1");
        if (response.statusCode() != 200 || !promptTokens.equals(Integer.toString(tokens))) {
            throw new IllegalStateException("long prompt not served as " + tokens + " tokens (HTTP "
                    + response.statusCode() + ": " + response.body() + "); see " + log);
        }
        return tokens / ((end - start) / 1e9);
    }

    private static double median(double[] sorted) {
        int middle = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
