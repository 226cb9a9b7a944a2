package dev.ggufserve.serving;

import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.junit.main.Launch;
import io.quarkus.test.junit.main.LaunchResult;
import io.quarkus.test.junit.main.QuarkusMainTest;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A file that is not a GGUF model stops start-up with one clear line and a non-zero exit code. */
@QuarkusMainTest
@TestProfile(BadModelFileTest.NotAModel.class)
class BadModelFileTest {

    public static class NotAModel implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("llm.model-path", "src/test/resources/not-a-model.gguf");
        }
    }

    @Test
    @Launch(value = {}, exitCode = 1)
    void startUpStopsWithOneErrorLine(LaunchResult result) {
        String output = result.getOutput() + result.getErrorOutput();
        assertTrue(output.lines().anyMatch(line -> line.contains("ERROR")
                && line.contains("Model file src/test/resources/not-a-model.gguf")), output);
        assertFalse(output.contains("\tat dev.ggufserve"), "no stack trace: " + output);
    }
}
