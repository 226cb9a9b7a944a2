package dev.ggufserve.parity;

import dev.ggufserve.testing.RandomModels;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link ApiParityTest}'s check on a random Phi-3-shaped Q4_K_M file (Q4_K, Q5_K and Q6_K tensors), served. */
@QuarkusTest
@TestProfile(ApiParityRandomModelTest.ServingRandomPhi3.class)
class ApiParityRandomModelTest {

    static final String MODEL = "phi3-q4_k_m";

    public static class ServingRandomPhi3 implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            try {
                Path file = Files.createTempFile(MODEL, ".gguf");
                file.toFile().deleteOnExit();
                RandomModels.write(RandomModels.standardModels().get(MODEL), file);
                return Map.of("llm.model-path", file.toString(), "llm.model-id", MODEL);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    @Test
    void echoedPromptLogprobsMatchTheReferences() {
        ApiParityTest.assertApiParity(MODEL, MODEL);
    }
}
