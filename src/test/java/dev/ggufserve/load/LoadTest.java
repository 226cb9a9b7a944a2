package dev.ggufserve.load;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URL;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The short version of bench/load.sh, run with the tests: 8 clients for 6 seconds against 2 replicas and
 * a queue of 2, so some requests are refused with 429 while others stream, stop, disconnect or are too long.
 */
@QuarkusTest
@TestProfile(LoadTest.SmallQueue.class)
class LoadTest {

    public static class SmallQueue implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("llm.replicas", "2", "llm.max-queue", "2", "llm.threads", "1");
        }
    }

    @TestHTTPResource("/")
    URL server;

    @Test
    void nothingUnexpectedHappensAndTheServerReturnsToIdle() throws Exception {
        var options = new LoadGenerator.Options(URI.create(server.toString()), 8, Duration.ofSeconds(6), 2_000,
                "llama", Optional.empty(), OptionalLong.of(ProcessHandle.current().pid()));
        LoadGenerator.Report report = LoadGenerator.run(options);
        System.out.print(report.toMarkdown());

        assertTrue(report.passed(), report.toMarkdown());
        assertTrue(report.completed() > 0 && report.completedStreams() > 0, report.toMarkdown());
        assertTrue(report.disconnectedOnPurpose() > 0, "the mix disconnects mid-stream: " + report.toMarkdown());
        assertTrue(report.refusedTooLong() > 0, "the mix sends prompts too long: " + report.toMarkdown());
    }
}
