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

/**
 * Measures gguf-serve's start-up from process start: to /q/health/ready answering 200, and to the first
 * streamed token of a request sent the moment it is ready. Run by bench/startup.sh; a single-file program
 * (java bench/StartupBench.java ...), so the measuring side is one warm JVM that polls every 5 ms instead of a
 * shell spawning a curl per poll on the same two cores.
 *
 * <pre>
 * usage: java bench/StartupBench.java RUNS LOG_DIR VARIANT=DIR=JVM_FLAGS... -- MODEL_LABEL=MODEL_PATH...
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
            "-XX:CompileCommand=CompileThresholdScaling,dev.ggufserve.tensor.*::*,0.01");
    private static final Duration GIVE_UP = Duration.ofMinutes(3);

    record Variant(String name, Path appDir, List<String> jvmFlags) {
    }

    record Model(String label, String path) {
    }

    record Run(double readySeconds, double firstTokenSeconds) {
    }

    public static void main(String[] args) throws Exception {
        int runs = Integer.parseInt(args[0]);
        Path logDir = Files.createDirectories(Path.of(args[1]));
        List<Variant> variants = new ArrayList<>();
        List<Model> models = new ArrayList<>();
        boolean readingModels = false;
        for (String arg : Arrays.asList(args).subList(2, args.length)) {
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
                    Run result = measure(http, variant, model, log);
                    results.computeIfAbsent(model.label() + "|" + variant.name(), key -> new ArrayList<>()).add(result);
                    System.out.printf("%s %s run %d: ready %.3f s, first token %.3f s%n", model.label(), variant.name(),
                            run, result.readySeconds(), result.firstTokenSeconds());
                }
            }
        }

        System.out.println();
        System.out.printf("| model | start | runs | ready (median) | first token (median) | ready (min-max) | first token (min-max) |%n");
        System.out.printf("|---|---|---|---|---|---|---|%n");
        for (Map.Entry<String, List<Run>> entry : results.entrySet()) {
            String[] key = entry.getKey().split("\\|");
            double[] ready = entry.getValue().stream().mapToDouble(Run::readySeconds).sorted().toArray();
            double[] first = entry.getValue().stream().mapToDouble(Run::firstTokenSeconds).sorted().toArray();
            System.out.printf("| %s | %s | %d | %.2f s | %.2f s | %.2f-%.2f s | %.2f-%.2f s |%n", key[0], key[1],
                    ready.length, median(ready), median(first), ready[0], ready[ready.length - 1], first[0],
                    first[first.length - 1]);
        }
    }

    private static Run measure(HttpClient http, Variant variant, Model model, Path log) throws Exception {
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
            return new Run((readyAt - start) / 1e9, (firstTokenAt - start) / 1e9);
        } finally {
            process.destroy();
            process.waitFor();
        }
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
