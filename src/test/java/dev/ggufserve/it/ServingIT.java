package dev.ggufserve.it;

import io.quarkus.test.junit.QuarkusIntegrationTest;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.emptyOrNullString;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

/**
 * The packaged application (jar, or native executable with -Dnative) serving the bundled demo model over HTTP,
 * as a deployment would use it. With -Daot these requests are also the training workload of the JDK 25 AOT cache
 * (target/quarkus-app/app.aot), so they cover every endpoint, streaming and not.
 */
@QuarkusIntegrationTest
class ServingIT {

    @Test
    void healthProbesAreUpOnceTheModelIsWarm() {
        for (String probe : List.of("/q/health/started", "/q/health/ready", "/q/health/live")) {
            given().get(probe).then().statusCode(200).body("status", equalTo("UP"));
        }
    }

    @Test
    void completionsAndChatCompletionsAnswerPlainAndStreamed() {
        String model = given().get("/v1/models").then().statusCode(200).extract().path("data[0].id");

        given().contentType("application/json")
                .body(Map.of("model", model, "prompt", "Once upon a time", "max_tokens", 8))
                .post("/v1/completions")
                .then().statusCode(200).body("choices[0].text", not(emptyOrNullString()));
        given().contentType("application/json")
                .body(Map.of("model", model, "prompt", "The little dog", "max_tokens", 8, "stream", true))
                .post("/v1/completions")
                .then().statusCode(200).body(containsString("\"text\":"), endsWith("data: [DONE]\n\n"));

        List<Map<String, String>> messages = List.of(Map.of("role", "user", "content", "Tell me a story."));
        given().contentType("application/json")
                .body(Map.of("model", model, "messages", messages, "max_tokens", 8))
                .post("/v1/chat/completions")
                .then().statusCode(200).body("choices[0].message.role", equalTo("assistant"));
        given().contentType("application/json")
                .body(Map.of("model", model, "messages", messages, "max_tokens", 8, "stream", true))
                .post("/v1/chat/completions")
                .then().statusCode(200).body(containsString("\"delta\":"), endsWith("data: [DONE]\n\n"));
    }

    @Test
    void metricsAreExportedForPrometheus() {
        given().get("/q/metrics").then().statusCode(200).body(containsString("# TYPE "));
    }
}
