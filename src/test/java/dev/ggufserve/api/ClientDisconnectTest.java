package dev.ggufserve.api;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
class ClientDisconnectTest {

    private static final String CANCELLED = "llm_requests_total{endpoint=\"/v1/completions\",outcome=\"cancelled\"}";
    /** Nearly the whole 2048-token context; with EOS banned the generation would run all of it. */
    private static final int MAX_TOKENS = 2000;

    @TestHTTPResource("/")
    URL server;

    @Test
    void aClientLeavingMidStreamStopsItsGenerationAndFreesTheReplica() throws Exception {
        double cancelledBefore = PrometheusScrape.value(CANCELLED);
        double tokensBefore = PrometheusScrape.value("llm_completion_tokens_total");

        String body = "{\"model\":\"llama\",\"prompt\":\"Once upon a time\",\"stream\":true,\"temperature\":0,"
                + "\"max_tokens\":" + MAX_TOKENS + ",\"logit_bias\":{\"2\":-100}}";
        try (var socket = new Socket(server.getHost(), server.getPort())) {
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body)
                    .getBytes(StandardCharsets.UTF_8));
            out.flush();
            var in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            String line;
            do {
                line = in.readLine();
            } while (line != null && !line.startsWith("data: "));
            assertTrue(line != null, "the stream started");
        }

        PrometheusScrape.awaitValue(CANCELLED, cancelledBefore + 1, 5_000);
        PrometheusScrape.awaitValue("llm_replicas_busy", 0, 5_000);
        double generated = PrometheusScrape.value("llm_completion_tokens_total") - tokensBefore;
        assertTrue(generated < MAX_TOKENS, "the generation stopped early, after " + generated + " tokens");

        given().contentType(ContentType.JSON)
                .body(Map.of("model", "llama", "prompt", "Once upon a time", "max_tokens", 3))
                .post("/v1/completions").then().statusCode(200);
    }
}
