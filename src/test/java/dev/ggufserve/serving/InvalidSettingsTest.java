package dev.ggufserve.serving;

import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.junit.main.Launch;
import io.quarkus.test.junit.main.LaunchResult;
import io.quarkus.test.junit.main.QuarkusMainTest;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Invalid LLM_* values stop start-up with one line naming every bad variable. */
@QuarkusMainTest
@TestProfile(InvalidSettingsTest.ZeroReplicas.class)
class InvalidSettingsTest {

    public static class ZeroReplicas implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("llm.replicas", "0", "llm.max-queue", "-1", "llm.request-timeout", "0s");
        }
    }

    @Test
    @Launch(value = {}, exitCode = 1)
    void startUpStopsNamingTheSettings(LaunchResult result) {
        String output = result.getOutput() + result.getErrorOutput();
        assertTrue(output.lines().anyMatch(line -> line.contains("ERROR")
                && line.contains("LLM_REPLICAS must be at least 1 but is 0")
                && line.contains("LLM_MAX_QUEUE must be 0 or more but is -1")
                && line.contains("LLM_REQUEST_TIMEOUT must be positive but is PT0S")), output);
    }
}
