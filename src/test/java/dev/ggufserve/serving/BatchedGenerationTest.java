package dev.ggufserve.serving;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ggufserve.engine.Engine;
import dev.ggufserve.engine.cpu.CpuEngine;
import dev.ggufserve.gguf.GgufFile;
import dev.ggufserve.sampling.SamplingParams;
import dev.ggufserve.sampling.TokenLogprobs;
import dev.ggufserve.tokenizer.Tokenizer;
import dev.ggufserve.tokenizer.Tokenizers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real engine behind the scheduler: stories260K (the bundled demo model) on the CPU engine's step executor.
 * A request's output must not depend on who shares its steps.
 */
class BatchedGenerationTest {

    private static final int PAGES = 256;
    private static GgufFile model;
    private static Tokenizer tokenizer;
    private static Engine engine;

    @BeforeAll
    static void open() {
        model = GgufFile.open(Path.of("src/main/resources/models/stories260K.gguf"));
        tokenizer = Tokenizers.load(model.metadata(), Optional.empty());
        engine = CpuEngine.load(model, 2);
    }

    @AfterAll
    static void close() {
        engine.close();
        model.close();
    }

    private static SchedulerHarness harness(int maxBatch) {
        return new SchedulerHarness(engine.newStepExecutor(PAGES, maxBatch + 256,
                Math.min(engine.trainedContextLength(), PAGES * engine.kvPagePositions())), tokenizer,
                engine.vocabularySize(), maxBatch, 0, 256);
    }

    private static List<RecordingSink> serveTogether(List<GenerationRequest> requests) {
        var harness = harness(requests.size());
        List<RecordingSink> sinks = new ArrayList<>();
        for (GenerationRequest request : requests) {
            var sink = new RecordingSink();
            sinks.add(sink);
            harness.submit(request, sink);
        }
        harness.runUntilIdle();
        return sinks;
    }

    private static RecordingSink serveAlone(GenerationRequest request) {
        return serveTogether(List.of(request)).getFirst();
    }

    private static GenerationRequest greedy(String prompt, int maxTokens) {
        return new GenerationRequest(tokenizer.encode(prompt, tokenizer.addsBos(), false), maxTokens,
                SamplingParams.greedy(), List.of(), false, false, 0);
    }

    @Test
    void eightConcurrentGreedyRequestsGiveTheTextOfOneAloneAndOfLlamaCpp() throws IOException {
        String llamaCppText;
        try (InputStream in = getClass().getResourceAsStream("/parity/stories260K.greedy.text.json")) {
            llamaCppText = new ObjectMapper().readValue(in, String.class);
        }
        List<String> prompts = List.of("Once upon a time", "The cat", "Lily had a red ball", "One day, a dog",
                "Once upon a time", "Tom and Sue went to the park", "The sun was", "Once upon a time");
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            requests.add(greedy(prompts.get(i), prompts.get(i).equals("Once upon a time") ? 64 : 20 + 9 * i));
        }
        List<RecordingSink> together = serveTogether(requests);
        for (int i = 0; i < requests.size(); i++) {
            RecordingSink alone = serveAlone(requests.get(i));
            assertEquals(alone.text.toString(), together.get(i).text.toString(), "request " + i);
            assertEquals(alone.finished, together.get(i).finished, "request " + i);
        }
        assertEquals(llamaCppText, together.getFirst().text.toString());
        assertEquals(llamaCppText, together.getLast().text.toString());
    }

    @Test
    void teacherForcedLogprobsInABatchOfEightEqualThoseAlone() {
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            requests.add(new GenerationRequest(tokenizer.encode("Once upon a time, story " + i, true, false), 24,
                    new SamplingParams(0.8, 0.95, 0, 0.0, 0.0, 0.0, Map.of(), (long) i), List.of(), false, false, 0));
        }
        int[] scored = tokenizer.encode("Once upon a time, there was a little girl named Lily. She loved to play"
                + " outside in the park with her friends.", true, false);
        GenerationRequest echo = new GenerationRequest(scored, 4, SamplingParams.greedy(), List.of(), true, true, 5);
        requests.add(3, echo);

        List<TokenLogprobs> inBatch = serveTogether(requests).get(3).promptLogprobs;
        List<TokenLogprobs> alone = serveAlone(echo).promptLogprobs;
        assertEquals(scored.length - 1, inBatch.size());
        double sum = 0;
        double max = 0;
        for (int i = 0; i < alone.size(); i++) {
            assertEquals(alone.get(i).tokenId(), inBatch.get(i).tokenId());
            double difference = Math.abs(alone.get(i).logprob() - inBatch.get(i).logprob());
            sum += difference;
            max = Math.max(max, difference);
        }
        // Far inside the parity rule (mean absolute difference 0.005 against the exact reference).
        assertTrue(sum / alone.size() <= 1e-3 && max <= 1e-2, "mean " + sum / alone.size() + ", max " + max);
    }

    @Test
    void aSecondTurnReadingTheFirstTurnsCachedPagesGivesTheTextItGetsComputedInFull() {
        String firstTurn = "Once upon a time, there was a little girl named Lily. She loved to play outside in the"
                + " park with her friends. One day,";
        GenerationRequest second = greedy(firstTurn + " she saw a big dog", 24);
        var harness = harness(8);
        harness.submit(greedy(firstTurn, 8), new RecordingSink());
        harness.runUntilIdle();
        var cached = new RecordingSink();
        harness.submit(second, cached);
        harness.runUntilIdle();
        assertTrue(harness.counter("llm.prefix.cache.hit.tokens") >= 16, "the first turn's full pages are reused");
        assertEquals(serveAlone(second).text.toString(), cached.text.toString());
    }
}
