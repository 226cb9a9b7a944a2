package dev.ggufserve.api;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.restassured.RestAssured.given;

/** Reads single values from /q/metrics, for tests that watch the serving meters. */
final class PrometheusScrape {

    private PrometheusScrape() {
    }

    static String scrape() {
        return given().get("/q/metrics").then().statusCode(200).extract().asString();
    }

    /**
     * The value of the sample whose name and labels start with {@code series}, e.g.
     * {@code llm_replicas_busy} or {@code llm_requests_total{endpoint="/v1/completions",outcome="cancelled"}};
     * 0 when the series does not exist yet.
     */
    static double value(String series) {
        String seriesStart = series.endsWith("}") ? series.substring(0, series.length() - 1) : series;
        Matcher matcher = Pattern.compile("(?m)^" + Pattern.quote(seriesStart) + "[^ ]* ([0-9.eE+-]+)$")
                .matcher(scrape());
        return matcher.find() ? Double.parseDouble(matcher.group(1)) : 0.0;
    }

    /** Polls until {@code series} equals {@code expected}; the meters are updated on worker threads. */
    static void awaitValue(String series, double expected, long timeoutMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (value(series) != expected) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError(series + " did not become " + expected + " within " + timeoutMillis
                        + " ms; it is " + value(series));
            }
            Thread.sleep(20);
        }
    }
}
