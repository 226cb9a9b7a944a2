package dev.ggufserve.api;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Malformed requests, one table row each: every one gets a 4xx in OpenAI's error shape naming the
 * parameter at fault (none for bodies that are not JSON objects at all), and the server stays healthy.
 */
@QuarkusTest
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BadInputTest {

    private static final String CHAT = "/v1/chat/completions";
    private static final String COMPLETIONS = "/v1/completions";
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    /**
     * One malformed request.
     *
     * @param param the {@code error.param} expected, or null for none
     */
    record Case(String name, String path, byte[] body, int status, String param) {
        @Override
        public String toString() {
            return name;
        }
    }

    @TestHTTPResource("/")
    URL server;

    static List<Case> cases() {
        List<Case> cases = new ArrayList<>();
        // Bodies that are not a JSON object.
        for (String path : List.of(CHAT, COMPLETIONS)) {
            cases.add(raw("truncated JSON " + path, path, "{\"model\": \"llama\", ", null));
            cases.add(raw("empty body " + path, path, "", null));
            cases.add(raw("array body " + path, path, "[1, 2]", null));
            cases.add(raw("string body " + path, path, "\"hello\"", null));
            cases.add(raw("number body " + path, path, "42", null));
            cases.add(raw("null body " + path, path, "null", null));
            cases.add(raw("trailing garbage " + path, path, "{\"model\": \"llama\"} x", null));
            cases.add(raw("single quotes " + path, path, "{'model': 'llama'}", null));
            cases.add(raw("comment " + path, path, "{/* hi */ \"model\": \"llama\"}", null));
            cases.add(raw("unquoted key " + path, path, "{model: \"llama\"}", null));
            cases.add(raw("NaN number " + path, path, "{\"model\": \"llama\", \"temperature\": NaN}", null));
            cases.add(new Case("invalid UTF-8 " + path, path, invalidUtf8Body(path), 400,
                    path.equals(CHAT) ? "messages.[0].content" : "prompt"));
            cases.add(new Case("lone continuation byte " + path, path,
                    concat("{\"model\": \"llama\", \"x\": \"".getBytes(StandardCharsets.UTF_8),
                            new byte[] {(byte) 0x80}, "\"}".getBytes(StandardCharsets.UTF_8)), 400, null));
        }
        // Parameters both endpoints share, with the wrong type or out of range.
        for (String path : List.of(CHAT, COMPLETIONS)) {
            String suffix = " " + path;
            cases.add(field("model number" + suffix, path, "\"model\": 5", "model"));
            cases.add(field("model null" + suffix, path, "\"model\": null", "model"));
            cases.add(field("max_tokens string" + suffix, path, "\"max_tokens\": \"12\"", "max_tokens"));
            cases.add(field("max_tokens float" + suffix, path, "\"max_tokens\": 1.5", "max_tokens"));
            cases.add(field("max_tokens huge" + suffix, path, "\"max_tokens\": 99999999999", "max_tokens"));
            cases.add(field("max_tokens negative" + suffix, path, "\"max_tokens\": -1", "max_tokens"));
            cases.add(field("max_tokens array" + suffix, path, "\"max_tokens\": [1]", "max_tokens"));
            cases.add(field("max_tokens bool" + suffix, path, "\"max_tokens\": true", "max_tokens"));
            cases.add(field("temperature string" + suffix, path, "\"temperature\": \"hot\"", "temperature"));
            cases.add(field("temperature negative" + suffix, path, "\"temperature\": -0.5", "temperature"));
            cases.add(field("temperature huge" + suffix, path, "\"temperature\": 1e308", "temperature"));
            cases.add(field("temperature above 2" + suffix, path, "\"temperature\": 2.01", "temperature"));
            cases.add(field("top_p above 1" + suffix, path, "\"top_p\": 1.5", "top_p"));
            cases.add(field("top_p negative" + suffix, path, "\"top_p\": -1", "top_p"));
            cases.add(field("top_p object" + suffix, path, "\"top_p\": {}", "top_p"));
            cases.add(field("top_k negative" + suffix, path, "\"top_k\": -3", "top_k"));
            cases.add(field("top_k float" + suffix, path, "\"top_k\": 2.5", "top_k"));
            cases.add(field("top_k huge" + suffix, path, "\"top_k\": 1e20", "top_k"));
            cases.add(field("min_p above 1" + suffix, path, "\"min_p\": 1.01", "min_p"));
            cases.add(field("presence_penalty above 2" + suffix, path, "\"presence_penalty\": 2.5",
                    "presence_penalty"));
            cases.add(field("frequency_penalty below -2" + suffix, path, "\"frequency_penalty\": -3",
                    "frequency_penalty"));
            cases.add(field("frequency_penalty string" + suffix, path, "\"frequency_penalty\": \"x\"",
                    "frequency_penalty"));
            cases.add(field("seed float" + suffix, path, "\"seed\": 1.25", "seed"));
            cases.add(field("seed string" + suffix, path, "\"seed\": \"42\"", "seed"));
            cases.add(field("seed beyond long" + suffix, path, "\"seed\": 99999999999999999999999", "seed"));
            cases.add(field("n 2" + suffix, path, "\"n\": 2", "n"));
            cases.add(field("n 0" + suffix, path, "\"n\": 0", "n"));
            cases.add(field("stream number" + suffix, path, "\"stream\": 1", "stream"));
            cases.add(field("stream string" + suffix, path, "\"stream\": \"true\"", "stream"));
            cases.add(field("stream_options without stream" + suffix, path,
                    "\"stream_options\": {\"include_usage\": true}", "stream_options"));
            cases.add(field("stream_options string" + suffix, path, "\"stream\": true, \"stream_options\": \"x\"",
                    "stream_options"));
            cases.add(field("include_usage number" + suffix, path,
                    "\"stream\": true, \"stream_options\": {\"include_usage\": 1}", "stream_options.include_usage"));
            cases.add(field("five stops" + suffix, path, "\"stop\": [\"a\", \"b\", \"c\", \"d\", \"e\"]", "stop"));
            cases.add(field("empty stop" + suffix, path, "\"stop\": \"\"", "stop"));
            cases.add(field("numeric stop" + suffix, path, "\"stop\": [1]", "stop"));
            cases.add(field("stop object" + suffix, path, "\"stop\": {\"a\": 1}", "stop"));
            cases.add(field("stop number" + suffix, path, "\"stop\": 7", "stop"));
            cases.add(field("logit_bias text key" + suffix, path, "\"logit_bias\": {\"abc\": 1}", "logit_bias"));
            cases.add(field("logit_bias float key" + suffix, path, "\"logit_bias\": {\"1.5\": 1}", "logit_bias"));
            cases.add(field("logit_bias id beyond vocabulary" + suffix, path, "\"logit_bias\": {\"512\": 1}",
                    "logit_bias"));
            cases.add(field("logit_bias negative id" + suffix, path, "\"logit_bias\": {\"-1\": 1}", "logit_bias"));
            cases.add(field("logit_bias value 101" + suffix, path, "\"logit_bias\": {\"5\": 101}", "logit_bias"));
            cases.add(field("logit_bias value string" + suffix, path, "\"logit_bias\": {\"5\": \"up\"}",
                    "logit_bias.5"));
            cases.add(field("logit_bias array" + suffix, path, "\"logit_bias\": [1, 2]", "logit_bias"));
        }
        // Chat only.
        cases.add(chat("no messages", "\"model\": \"llama\"", "messages"));
        cases.add(chat("empty messages", "\"model\": \"llama\", \"messages\": []", "messages"));
        cases.add(chat("messages string", "\"model\": \"llama\", \"messages\": \"Hi\"", "messages"));
        cases.add(chat("messages null", "\"model\": \"llama\", \"messages\": null", "messages"));
        cases.add(chat("message not an object", "\"model\": \"llama\", \"messages\": [5]", "messages.[0]"));
        cases.add(chat("message null", "\"model\": \"llama\", \"messages\": [null]", "messages.[0]"));
        cases.add(chat("unknown role", message("\"role\": \"wizard\", \"content\": \"x\""), "messages.[0].role"));
        cases.add(chat("tool message without tool_call_id", message("\"role\": \"tool\", \"content\": \"x\""),
                "messages.[0].tool_call_id"));
        cases.add(chat("missing role", message("\"content\": \"x\""), "messages.[0].role"));
        cases.add(chat("numeric role", message("\"role\": 5, \"content\": \"x\""), "messages.[0].role"));
        cases.add(chat("null content", message("\"role\": \"user\", \"content\": null"), "messages.[0].content"));
        cases.add(chat("missing content", message("\"role\": \"user\""), "messages.[0].content"));
        cases.add(chat("numeric content", message("\"role\": \"user\", \"content\": 5"), "messages.[0].content"));
        cases.add(chat("object content", message("\"role\": \"user\", \"content\": {}"), "messages.[0].content"));
        cases.add(chat("image part", message("\"role\": \"user\", \"content\": [{\"type\": \"image_url\", "
                + "\"image_url\": {\"url\": \"x\"}}]"), "messages.[0].content"));
        cases.add(chat("part without text", message("\"role\": \"user\", \"content\": [{\"type\": \"text\"}]"),
                "messages.[0].content"));
        cases.add(chat("part with numeric text",
                message("\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": 5}]"),
                "messages.[0].content"));
        cases.add(chat("second message bad", "\"model\": \"llama\", \"messages\": [{\"role\": \"user\", "
                + "\"content\": \"a\"}, {\"role\": \"robot\", \"content\": \"b\"}]", "messages.[1].role"));
        cases.add(chat("top_logprobs 21", message("\"role\": \"user\", \"content\": \"x\"")
                + ", \"logprobs\": true, \"top_logprobs\": 21", "top_logprobs"));
        cases.add(chat("top_logprobs negative", message("\"role\": \"user\", \"content\": \"x\"")
                + ", \"logprobs\": true, \"top_logprobs\": -1", "top_logprobs"));
        cases.add(chat("top_logprobs without logprobs", message("\"role\": \"user\", \"content\": \"x\"")
                + ", \"top_logprobs\": 2", "top_logprobs"));
        cases.add(chat("logprobs number", message("\"role\": \"user\", \"content\": \"x\"") + ", \"logprobs\": 1",
                "logprobs"));
        cases.add(chat("max_completion_tokens 0", message("\"role\": \"user\", \"content\": \"x\"")
                + ", \"max_completion_tokens\": 0", "max_tokens"));
        cases.add(chat("max_tokens past the context", message("\"role\": \"user\", \"content\": \"x\"")
                + ", \"max_tokens\": 4096", "messages"));
        cases.add(chat("messages too long for the context", message("\"role\": \"user\", \"content\": \""
                + "Once upon a time ".repeat(700) + "\""), "messages"));
        // Completions only.
        cases.add(completion("no prompt", "\"model\": \"llama\"", "prompt"));
        cases.add(completion("null prompt", "\"model\": \"llama\", \"prompt\": null", "prompt"));
        cases.add(completion("empty prompt", "\"model\": \"llama\", \"prompt\": \"\"", "prompt"));
        cases.add(completion("empty prompt array", "\"model\": \"llama\", \"prompt\": []", "prompt"));
        cases.add(completion("two prompts", "\"model\": \"llama\", \"prompt\": [\"a\", \"b\"]", "prompt"));
        cases.add(completion("numeric prompt", "\"model\": \"llama\", \"prompt\": 5", "prompt"));
        cases.add(completion("object prompt", "\"model\": \"llama\", \"prompt\": {}", "prompt"));
        cases.add(completion("token id beyond vocabulary", "\"model\": \"llama\", \"prompt\": [1, 512]", "prompt"));
        cases.add(completion("negative token id", "\"model\": \"llama\", \"prompt\": [1, -1]", "prompt"));
        cases.add(completion("huge token id", "\"model\": \"llama\", \"prompt\": [1, 99999999999]", "prompt"));
        cases.add(completion("fractional token id", "\"model\": \"llama\", \"prompt\": [1, 2.5]", "prompt"));
        cases.add(completion("text among token ids", "\"model\": \"llama\", \"prompt\": [1, \"a\"]", "prompt"));
        cases.add(completion("logprobs 6", "\"model\": \"llama\", \"prompt\": \"a\", \"logprobs\": 6", "logprobs"));
        cases.add(completion("logprobs negative", "\"model\": \"llama\", \"prompt\": \"a\", \"logprobs\": -1",
                "logprobs"));
        cases.add(completion("echo string", "\"model\": \"llama\", \"prompt\": \"a\", \"echo\": \"yes\"", "echo"));
        cases.add(completion("max_tokens past the context", "\"model\": \"llama\", \"prompt\": \"a\", "
                + "\"max_tokens\": 5000", "prompt"));
        cases.add(completion("prompt too long for the context", "\"model\": \"llama\", \"prompt\": \""
                + "Once upon a time ".repeat(700) + "\"", "prompt"));
        // Statuses other than 400.
        cases.add(new Case("unknown model chat", CHAT, utf8("{\"model\": \"gpt-4o\", "
                + "\"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}"), 404, "model"));
        cases.add(new Case("unknown model completions", COMPLETIONS,
                utf8("{\"model\": \"gpt-4o\", \"prompt\": \"x\"}"), 404, "model"));
        cases.add(new Case("body over the size limit", COMPLETIONS, oversizedBody(), 413, null));
        return cases;
    }

    @Order(1)
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void isRefusedWithOpenAiErrorNamingTheParam(Case badRequest) throws Exception {
        HttpResponse<String> response = CLIENT.send(HttpRequest.newBuilder(URI.create(server + badRequest.path()
                        .substring(1)))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(badRequest.body()))
                .build(), HttpResponse.BodyHandlers.ofString());

        assertEquals(badRequest.status(), response.statusCode(), response.body());
        assertEquals("application/json", response.headers().firstValue("Content-Type").orElse(null));
        JsonNode error = MAPPER.readTree(response.body()).path("error");
        assertTrue(error.path("message").isTextual() && !error.path("message").asText().isBlank(), response.body());
        assertEquals("invalid_request_error", error.path("type").asText(), response.body());
        assertTrue(error.has("param") && error.has("code"), "every field of OpenAI's shape: " + response.body());
        assertEquals(badRequest.param(), error.path("param").isNull() ? null : error.path("param").asText(),
                response.body());
    }

    @Order(1)
    @Test
    void atLeastAHundredCases() {
        assertTrue(cases().size() >= 100, "cases: " + cases().size());
    }

    /** After the whole table: still ready, nothing busy or waiting, and a good request is served. */
    @Order(2)
    @Test
    void serverStaysHealthy() throws InterruptedException {
        given().get("/q/health/ready").then().statusCode(200);
        PrometheusScrape.awaitValue("llm_replicas_busy", 0, 5_000);
        PrometheusScrape.awaitValue("llm_queue_depth", 0, 5_000);
        String text = given().contentType("application/json")
                .body("{\"model\": \"llama\", \"prompt\": \"Once upon a time\", \"max_tokens\": 4}")
                .post(COMPLETIONS).then().statusCode(200).extract().path("choices[0].text");
        assertFalse(text == null, "a completion");
    }

    private static Case raw(String name, String path, String body, String param) {
        return new Case(name, path, utf8(body), 400, param);
    }

    /** A valid request of {@code path} with one field replaced or added. */
    private static Case field(String name, String path, String field, String param) {
        String base = path.equals(CHAT)
                ? "\"model\": \"llama\", \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], \"max_tokens\": 4"
                : "\"model\": \"llama\", \"prompt\": \"Once\", \"max_tokens\": 4";
        String fieldName = field.substring(0, field.indexOf(':'));
        // A later duplicate would be rejected as such; drop the base's own value for the field instead.
        String without = base.replaceAll(Pattern.quote(fieldName) + ": [^,]*(, )?", "")
                .replaceAll(", $", "");
        return new Case(name, path, utf8("{" + without + (without.isEmpty() ? "" : ", ") + field + "}"), 400, param);
    }

    private static Case chat(String name, String fields, String param) {
        return new Case("chat: " + name, CHAT, utf8("{" + fields + "}"), 400, param);
    }

    private static Case completion(String name, String fields, String param) {
        return new Case("completions: " + name, COMPLETIONS, utf8("{" + fields + "}"), 400, param);
    }

    private static String message(String fields) {
        return "\"model\": \"llama\", \"messages\": [{" + fields + "}]";
    }

    private static byte[] invalidUtf8Body(String path) {
        String start = path.equals(CHAT)
                ? "{\"model\": \"llama\", \"messages\": [{\"role\": \"user\", \"content\": \"caf"
                : "{\"model\": \"llama\", \"prompt\": \"caf";
        // 0xC3 starts a two-byte sequence; 0x28 cannot continue it.
        return concat(utf8(start), new byte[] {(byte) 0xC3, (byte) 0x28}, utf8("\"}" + (path.equals(CHAT) ? "]}" : "")));
    }

    /** A syntactically valid body just over the 8 MiB limit. */
    private static byte[] oversizedBody() {
        char[] filler = new char[(int) OpenAiRoutes.MAX_BODY_BYTES];
        Arrays.fill(filler, 'a');
        return utf8("{\"model\": \"llama\", \"prompt\": \"" + new String(filler) + "\"}");
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] concat(byte[]... parts) {
        int length = 0;
        for (byte[] part : parts) {
            length += part.length;
        }
        byte[] all = new byte[length];
        int offset = 0;
        for (byte[] part : parts) {
            System.arraycopy(part, 0, all, offset, part.length);
            offset += part.length;
        }
        return all;
    }
}
