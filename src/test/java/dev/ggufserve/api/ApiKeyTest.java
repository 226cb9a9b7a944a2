package dev.ggufserve.api;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.nullValue;

@QuarkusTest
@TestProfile(ApiKeyTest.WithApiKey.class)
class ApiKeyTest {

    static final String KEY = "sk-test-4f1c2b";

    public static class WithApiKey implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("llm.api-key", KEY);
        }
    }

    @Test
    void aMissingKeyIs401() {
        given().get("/v1/models").then()
                .statusCode(401)
                .body("error.type", equalTo("invalid_request_error"))
                .body("error.code", equalTo("invalid_api_key"))
                .body("error.param", nullValue());
        given().header("Authorization", "Basic abc").get("/v1/models").then().statusCode(401);
    }

    @Test
    void aWrongKeyIs401AndIsNotEchoed() {
        given().header("Authorization", "Bearer sk-wrong-key").get("/v1/models").then()
                .statusCode(401)
                .body("error.code", equalTo("invalid_api_key"))
                .body("error.message", not(containsString("sk-wrong-key")));
        given().header("Authorization", "Bearer " + KEY + "x")
                .contentType("application/json").body(Map.of("model", "llama", "prompt", "Once"))
                .post("/v1/completions").then().statusCode(401);
    }

    @Test
    void theRightKeyIsServed() {
        given().header("Authorization", "Bearer " + KEY).get("/v1/models").then().statusCode(200);
        given().header("Authorization", "Bearer " + KEY)
                .contentType("application/json").body(Map.of("model", "llama", "prompt", "Once", "max_tokens", 2))
                .post("/v1/completions").then().statusCode(200);
    }

    @Test
    void healthAndMetricsNeedNoKey() {
        given().get("/q/health/ready").then().statusCode(200);
        given().get("/q/health/live").then().statusCode(200);
        given().get("/q/metrics").then().statusCode(200);
    }
}
