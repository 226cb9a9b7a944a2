package dev.ggufserve.load;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A load test against a running gguf-serve: {@code clients} concurrent clients send requests for
 * {@code seconds} seconds (and at most {@code maxRequests} in all) over a mix of chat and completions,
 * streaming and not, with stop strings, clients that disconnect mid-stream and prompts too long for
 * the context, then report what happened. Loopback only; JDK classes only, so it runs as a single
 * source file:
 *
 * <pre>java src/test/java/dev/ggufserve/load/LoadGenerator.java --url http://127.0.0.1:8080 --clients 16 \
 *     --seconds 60 --model llama [--pid SERVER_PID] [--api-key KEY]</pre>
 *
 * <p>Every response is checked: 200 replies must be whole, every completed stream must end with
 * {@code data: [DONE]}, 429 must carry Retry-After, a too-long prompt must be a 400
 * {@code context_length_exceeded}; anything else, an error event in a stream or a request still
 * unanswered when the run ends counts as unexpected. {@code main} exits with status 1 when anything
 * unexpected happened or the server did not return to idle.
 */
public final class LoadGenerator {

    /** How long in-flight requests may take to finish once the run's time is up. */
    private static final Duration DRAIN_TIME = Duration.ofSeconds(60);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(120);
    private static final Pattern METRIC_SAMPLE = Pattern.compile("(?m)^(llm_replicas_busy|llm_queue_depth)\\S* (\\S+)$");
    private static final String LONG_PROMPT = "Once upon a time there was a little dog. ".repeat(1200);
    private static final List<String> PROMPTS = List.of("Once upon a time", "The little girl found a",
            "One day, a big bear", "Tom and his mom went to the park", "There was a cat who liked to");

    /**
     * @param pid the server's process id, to read its resident memory; empty when unknown
     */
    public record Options(URI url, int clients, Duration duration, int maxRequests, String model,
                          Optional<String> apiKey, OptionalLong pid) {
    }

    /** What a run saw; times in milliseconds, memory in KiB (-1 when unknown). */
    public record Report(int clients, double seconds, int sent, int completed, int completedStreams,
                         int streamsEndedWithDone, int disconnectedOnPurpose, int rejected429,
                         int rejected429WithRetryAfter, int refusedTooLong, int unexpected,
                         Map<String, Integer> unexpectedByKind, double p50TimeToFirstTokenMillis,
                         double p95TimeToFirstTokenMillis, long rssBeforeKib, long rssAfterKib, int busyReplicasAtEnd,
                         int queueDepthAtEnd) {

        public double requestsPerSecond() {
            return sent / seconds;
        }

        /** Nothing unexpected, every completed stream ended with [DONE], every 429 said when to retry, idle at the end. */
        public boolean passed() {
            return unexpected == 0 && streamsEndedWithDone == completedStreams
                    && rejected429WithRetryAfter == rejected429 && busyReplicasAtEnd == 0 && queueDepthAtEnd == 0;
        }

        public String toMarkdown() {
            StringBuilder text = new StringBuilder();
            text.append("| measure | value |\n| --- | --- |\n");
            row(text, "clients, seconds", clients + ", " + String.format("%.1f", seconds));
            row(text, "requests sent, per second", sent + ", " + String.format("%.1f", requestsPerSecond()));
            row(text, "completed (200, whole reply)", Integer.toString(completed));
            row(text, "completed streams ending with data: [DONE]", streamsEndedWithDone + " of " + completedStreams);
            row(text, "disconnected mid-stream on purpose", Integer.toString(disconnectedOnPurpose));
            row(text, "rejected 429 (with Retry-After)", rejected429 + " (" + rejected429WithRetryAfter + ")");
            row(text, "prompts too long: 400 context_length_exceeded", Integer.toString(refusedTooLong));
            row(text, "unexpected errors", unexpected + (unexpectedByKind.isEmpty() ? "" : " " + unexpectedByKind));
            row(text, "time to first token p50, p95 (streams)",
                    String.format("%.0f ms, %.0f ms", p50TimeToFirstTokenMillis, p95TimeToFirstTokenMillis));
            row(text, "server RSS before, after", rssBeforeKib < 0 ? "unknown"
                    : String.format("%.0f MiB, %.0f MiB", rssBeforeKib / 1024.0, rssAfterKib / 1024.0));
            row(text, "busy replicas, queue depth at the end", busyReplicasAtEnd + ", " + queueDepthAtEnd);
            return text.toString();
        }

        private static void row(StringBuilder text, String measure, String value) {
            text.append("| ").append(measure).append(" | ").append(value).append(" |\n");
        }
    }

    /** The kinds of request in the mix. */
    private enum Kind {
        CHAT, CHAT_STREAM, COMPLETION, COMPLETION_STREAM, STREAM_THEN_DISCONNECT, TOO_LONG
    }

    private final Options options;
    /** HTTP/1.1, as most SDKs speak it: a closed response body then closes its connection. */
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    private final AtomicInteger sent = new AtomicInteger();
    private final AtomicInteger completed = new AtomicInteger();
    private final AtomicInteger completedStreams = new AtomicInteger();
    private final AtomicInteger streamsEndedWithDone = new AtomicInteger();
    private final AtomicInteger disconnected = new AtomicInteger();
    private final AtomicInteger rejected = new AtomicInteger();
    private final AtomicInteger rejectedWithRetryAfter = new AtomicInteger();
    private final AtomicInteger refusedTooLong = new AtomicInteger();
    private final Map<String, Integer> unexpected = new ConcurrentHashMap<>();
    private final List<Double> timesToFirstToken = Collections.synchronizedList(new ArrayList<>());

    private LoadGenerator(Options options) {
        this.options = options;
    }

    public static Report run(Options options) throws InterruptedException {
        return new LoadGenerator(options).run();
    }

    private Report run() throws InterruptedException {
        long rssBefore = residentKib();
        long start = System.nanoTime();
        long deadline = start + options.duration().toNanos();
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int client = 0; client < options.clients(); client++) {
                SplittableRandom random = new SplittableRandom(client);
                clients.submit(() -> {
                    while (System.nanoTime() < deadline && sent.getAndIncrement() < options.maxRequests()) {
                        sendOne(Kind.values()[random.nextInt(Kind.values().length)], random);
                    }
                    return null;
                });
            }
            clients.shutdown();
            if (!clients.awaitTermination(options.duration().plus(DRAIN_TIME).toMillis(), TimeUnit.MILLISECONDS)) {
                unexpected.merge("still unanswered when the run ended", 1, Integer::sum);
                clients.shutdownNow();
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        int[] idle = awaitIdle();
        List<Double> sorted = new ArrayList<>(timesToFirstToken);
        Collections.sort(sorted);
        return new Report(options.clients(), seconds, Math.min(sent.get(), options.maxRequests()), completed.get(),
                completedStreams.get(), streamsEndedWithDone.get(), disconnected.get(), rejected.get(),
                rejectedWithRetryAfter.get(), refusedTooLong.get(), unexpected.values().stream().mapToInt(i -> i).sum(),
                Map.copyOf(unexpected), percentile(sorted, 0.50), percentile(sorted, 0.95), rssBefore, residentKib(),
                idle[0], idle[1]);
    }

    private void sendOne(Kind kind, SplittableRandom random) {
        boolean chat = kind == Kind.CHAT || kind == Kind.CHAT_STREAM || (kind != Kind.COMPLETION
                && kind != Kind.COMPLETION_STREAM && random.nextBoolean());
        boolean stream = kind == Kind.CHAT_STREAM || kind == Kind.COMPLETION_STREAM
                || kind == Kind.STREAM_THEN_DISCONNECT;
        String prompt = kind == Kind.TOO_LONG ? LONG_PROMPT : PROMPTS.get(random.nextInt(PROMPTS.size()));
        int maxTokens = 8 + random.nextInt(57);
        String stop = random.nextInt(3) == 0 ? ", \"stop\": [\".\", \"!\"]" : "";
        String body = chat
                ? "{\"model\": \"" + options.model() + "\", \"messages\": [{\"role\": \"user\", \"content\": \"" + prompt
                        + "\"}], \"max_tokens\": " + maxTokens + ", \"stream\": " + stream + stop + "}"
                : "{\"model\": \"" + options.model() + "\", \"prompt\": \"" + prompt + "\", \"max_tokens\": "
                        + maxTokens + ", \"stream\": " + stream + stop + "}";
        HttpRequest.Builder request = HttpRequest.newBuilder(options.url().resolve(chat ? "/v1/chat/completions"
                        : "/v1/completions"))
                .timeout(REQUEST_TIMEOUT)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        options.apiKey().ifPresent(key -> request.header("Authorization", "Bearer " + key));
        long sentNanos = System.nanoTime();
        try {
            HttpResponse<InputStream> response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = response.body()) {
                classify(kind, stream, response, in, sentNanos);
            }
        } catch (IOException e) {
            unexpected.merge("I/O: " + e.getClass().getSimpleName(), 1, Integer::sum);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            unexpected.merge("interrupted", 1, Integer::sum);
        }
    }

    private void classify(Kind kind, boolean stream, HttpResponse<InputStream> response, InputStream in,
                          long sentNanos) throws IOException {
        int status = response.statusCode();
        if (status == 429) {
            rejected.incrementAndGet();
            if (response.headers().firstValue("Retry-After").isPresent()) {
                rejectedWithRetryAfter.incrementAndGet();
            }
            in.readAllBytes();
            return;
        }
        if (kind == Kind.TOO_LONG) {
            String error = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            if (status == 400 && error.contains("\"code\":\"context_length_exceeded\"")) {
                refusedTooLong.incrementAndGet();
            } else {
                unexpected.merge("too-long prompt answered " + status, 1, Integer::sum);
            }
            return;
        }
        if (status != 200) {
            in.readAllBytes();
            unexpected.merge("HTTP " + status, 1, Integer::sum);
            return;
        }
        if (!stream) {
            String reply = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            if (reply.contains("\"choices\"") && reply.contains("\"finish_reason\"")) {
                completed.incrementAndGet();
            } else {
                unexpected.merge("incomplete JSON reply", 1, Integer::sum);
            }
            return;
        }
        readStream(kind, new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)), sentNanos);
    }

    private void readStream(Kind kind, BufferedReader events, long sentNanos) throws IOException {
        boolean firstToken = true;
        String lastData = null;
        for (String line = events.readLine(); line != null; line = events.readLine()) {
            if (!line.startsWith("data: ")) {
                continue;
            }
            if (firstToken) {
                firstToken = false;
                timesToFirstToken.add((System.nanoTime() - sentNanos) / 1e6);
                if (kind == Kind.STREAM_THEN_DISCONNECT) {
                    // Closing the body mid-stream closes the connection: the server must free the replica.
                    disconnected.incrementAndGet();
                    return;
                }
            }
            if (line.contains("\"error\"")) {
                unexpected.merge("error event in a stream", 1, Integer::sum);
                return;
            }
            lastData = line;
        }
        completed.incrementAndGet();
        completedStreams.incrementAndGet();
        if ("data: [DONE]".equals(lastData)) {
            streamsEndedWithDone.incrementAndGet();
        }
    }

    /** Polls the metrics until no replica is busy and nothing waits, for up to 10 s: {busy, queued}. */
    private int[] awaitIdle() throws InterruptedException {
        int[] idle = {-1, -1};
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            try {
                String metrics = http.send(HttpRequest.newBuilder(options.url().resolve("/q/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                Matcher sample = METRIC_SAMPLE.matcher(metrics);
                while (sample.find()) {
                    idle[sample.group(1).equals("llm_replicas_busy") ? 0 : 1] = (int) Double.parseDouble(sample.group(2));
                }
                if (idle[0] == 0 && idle[1] == 0) {
                    return idle;
                }
            } catch (IOException e) {
                unexpected.merge("metrics unreachable", 1, Integer::sum);
                return idle;
            }
            Thread.sleep(100);
        }
        return idle;
    }

    private long residentKib() {
        if (options.pid().isEmpty()) {
            return -1;
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + options.pid().getAsLong() + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return -1;
    }

    private static double percentile(List<Double> sorted, double fraction) {
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(fraction * sorted.size()) - 1));
    }

    public static void main(String[] args) throws InterruptedException {
        Map<String, String> flags = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            flags.put(args[i], args[i + 1]);
        }
        var options = new Options(URI.create(flags.getOrDefault("--url", "http://127.0.0.1:8080")),
                Integer.parseInt(flags.getOrDefault("--clients", "16")),
                Duration.ofSeconds(Long.parseLong(flags.getOrDefault("--seconds", "60"))),
                Integer.parseInt(flags.getOrDefault("--max-requests", "100000")),
                flags.getOrDefault("--model", "llama"),
                Optional.ofNullable(flags.get("--api-key")),
                flags.containsKey("--pid") ? OptionalLong.of(Long.parseLong(flags.get("--pid"))) : OptionalLong.empty());
        Report report = run(options);
        System.out.print(report.toMarkdown());
        System.exit(report.passed() ? 0 : 1);
    }
}
