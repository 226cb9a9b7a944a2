package dev.ggufserve.serving;

import dev.ggufserve.api.ErrorResponses;
import dev.ggufserve.gguf.GgufFile;
import dev.ggufserve.sampling.SamplingParams;
import dev.ggufserve.sampling.TokenLogprobs;
import dev.ggufserve.tokenizer.Tokenizer;
import dev.ggufserve.tokenizer.Tokenizers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;

import static dev.ggufserve.serving.SchedulerHarness.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The step scheduler over a {@link FakePagedExecutor}, whose logits depend on every token a sequence's pages hold:
 * each request's output in a batch must equal its output alone, whatever shares its steps, preempts it or lends it
 * cached pages.
 */
class BatchSchedulingTest {

    private static final int VOCABULARY = 512;
    private static GgufFile model;
    private static Tokenizer tokenizer;

    @BeforeAll
    static void openTokenizer() {
        model = GgufFile.open(Path.of("src/main/resources/models/stories260K.gguf"));
        tokenizer = Tokenizers.load(model.metadata(), Optional.empty());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static int[] prompt(int seed, int length) {
        return IntStream.range(0, length).map(i -> 3 + Math.floorMod(seed * 7919 + i * 104729, VOCABULARY - 3))
                .toArray();
    }

    private static FakePagedExecutor executor(int pagePositions, int pageCount, boolean sharesPages) {
        return new FakePagedExecutor(pagePositions, pageCount, sharesPages, VOCABULARY);
    }

    private static SamplingParams sampled(double temperature, int topK, double penalty, long seed) {
        return new SamplingParams(temperature, 0.9, topK, 0.0, penalty, penalty, Map.of(7, 5.0), seed);
    }

    /** Eight requests of different prompts, lengths and sampling settings. */
    private static List<GenerationRequest> mixedRequests() {
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            SamplingParams sampling = switch (i % 4) {
                case 0 -> SamplingParams.greedy();
                case 1 -> sampled(0.8, 0, 0.0, 11 + i);
                case 2 -> sampled(1.2, 40, 0.5, 23 + i);
                default -> sampled(0.5, 10, 1.0, 37 + i);
            };
            requests.add(request(prompt(i, 3 + 5 * i), 6 + 7 * i, sampling, List.of()));
        }
        return requests;
    }

    private static RecordingSink alone(GenerationRequest request, int pagePositions, int pageCount) {
        return SchedulerHarness.alone(executor(pagePositions, pageCount, true), tokenizer, VOCABULARY, request);
    }

    private static void assertSameOutput(RecordingSink expected, RecordingSink actual, String label) {
        assertEquals(expected.text.toString(), actual.text.toString(), label);
        assertEquals(expected.finished, actual.finished, label);
        assertEquals(expected.completionTokens, actual.completionTokens, label);
        assertEquals(expected.tokenLogprobs, actual.tokenLogprobs, label);
    }

    @Test
    void requestsWithDifferentLengthsAndSamplingFinishAtDifferentStepsWithTheirOwnOutputs() {
        List<GenerationRequest> requests = new ArrayList<>(mixedRequests());
        // A stop string taken from the middle of a request's own output ends it early.
        String fullText = alone(requests.get(5), 16, 64).text.toString();
        String stop = fullText.substring(fullText.length() / 2, fullText.length() / 2 + 3);
        GenerationRequest stopped = requests.get(5);
        requests.set(5, request(stopped.promptTokens(), stopped.maxTokens(), stopped.sampling(), List.of(stop)));

        var executor = executor(16, 64, true);
        var harness = new SchedulerHarness(executor, tokenizer, VOCABULARY, 8, 0, 1024);
        List<RecordingSink> sinks = new ArrayList<>();
        for (GenerationRequest request : requests) {
            var sink = new RecordingSink();
            sinks.add(sink);
            harness.submit(request, sink);
        }
        harness.runUntilIdle();

        for (int i = 0; i < requests.size(); i++) {
            assertSameOutput(alone(requests.get(i), 16, 64), sinks.get(i), "request " + i);
        }
        assertEquals(FinishReason.STOP, sinks.get(5).finished);
        assertTrue(fullText.startsWith(sinks.get(5).text.toString()) && !sinks.get(5).text.toString().contains(stop));
        assertEquals(8, Collections.max(executor.stepSizes), "all eight ran in the same steps");
        assertTrue(executor.stepSizes.stream().distinct().count() >= 4,
                "the batch shrinks as requests finish: " + executor.stepSizes);
        assertEquals(0, harness.replica.pool().pagesInUse(), "finished requests hold no pages");
    }

    @Test
    void atMostMaxBatchRequestsRunAtOnceAndTheRestWaitTheirTurn() {
        var executor = executor(16, 64, true);
        var harness = new SchedulerHarness(executor, tokenizer, VOCABULARY, 3, 4, 1024);
        List<RecordingSink> sinks = new ArrayList<>();
        for (GenerationRequest request : mixedRequests().subList(0, 7)) {
            var sink = new RecordingSink();
            sinks.add(sink);
            harness.submit(request, sink);
        }
        harness.runUntilIdle();
        assertEquals(3, Collections.max(executor.stepSizes));
        sinks.forEach(sink -> assertEquals(FinishReason.LENGTH, sink.finished));
        assertEquals(7, harness.registry.find("llm.queue.wait").timer().count());
        assertEquals(executor.stepSizes.size(), harness.registry.find("llm.step.sequences").summary().count());
    }

    @Test
    void requestsBeyondMaxBatchPlusMaxQueueAreRefused() {
        var harness = new SchedulerHarness(executor(16, 64, true), tokenizer, VOCABULARY, 2, 1, 1024);
        for (int i = 0; i < 3; i++) {
            harness.submit(request(prompt(i, 4), 5, SamplingParams.greedy(), List.of()), new RecordingSink());
        }
        GenerationRequest oneTooMany = request(prompt(9, 4), 5, SamplingParams.greedy(), List.of());
        var refused = assertThrows(QueueFullException.class, () -> harness.submit(oneTooMany, new RecordingSink()));
        assertEquals(429, ErrorResponses.toReply(refused).status());
        assertEquals(3, harness.scheduler.queueDepth());
        harness.runUntilIdle();
        assertEquals(0, harness.scheduler.queueDepth());
        harness.submit(oneTooMany, new RecordingSink());
    }

    @Test
    void aRequestThatCouldNotFitEvenAloneIsRefusedAtAdmission() {
        var harness = new SchedulerHarness(executor(4, 10, true), tokenizer, VOCABULARY, 8, 8, 1024);
        var refused = assertThrows(ContextLengthExceededException.class,
                () -> harness.submit(request(prompt(1, 10), 31, SamplingParams.greedy(), List.of()),
                        new RecordingSink()));
        ErrorResponses.ErrorReply reply = ErrorResponses.toReply(refused);
        assertEquals(400, reply.status());
        assertEquals("context_length_exceeded", reply.body().error().code());
        harness.submit(request(prompt(1, 10), 30, SamplingParams.greedy(), List.of()), new RecordingSink());
    }

    @ParameterizedTest(name = "pages shared by the executor: {0}")
    @ValueSource(booleans = {true, false})
    void preemptionUnderATinyKvBudgetKeepsEveryOutputAsIfUnpreempted(boolean sharesPages) {
        // 40 positions in all; each request needs 32, so only one fits at a time once they have grown.
        var executor = executor(4, 10, sharesPages);
        var harness = new SchedulerHarness(executor, tokenizer, VOCABULARY, 4, 0, 1024);
        List<GenerationRequest> requests = new ArrayList<>();
        List<RecordingSink> sinks = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            requests.add(request(prompt(i, 8), 24, i % 2 == 0 ? SamplingParams.greedy() : sampled(0.9, 0, 0.3, i),
                    List.of()));
            var sink = new RecordingSink();
            sinks.add(sink);
            harness.submit(requests.getLast(), sink);
        }
        harness.runUntilIdle();
        assertTrue(harness.counter("llm.preemptions") > 0, "the pool is too small for all four at once");
        for (int i = 0; i < requests.size(); i++) {
            assertSameOutput(alone(requests.get(i), 4, 10), sinks.get(i), "request " + i);
        }
        assertEquals(0, harness.replica.pool().pagesInUse());
    }

    @Test
    void aCachedPrefixIsReadInsteadOfComputedAndGivesTheSameOutput() {
        var executor = executor(4, 32, true);
        var harness = new SchedulerHarness(executor, tokenizer, VOCABULARY, 8, 0, 1024);
        int[] firstTurn = prompt(3, 22);
        harness.submit(request(firstTurn, 4, SamplingParams.greedy(), List.of()), new RecordingSink());
        harness.runUntilIdle();
        assertEquals(0, harness.counter("llm.prefix.cache.hit.tokens"));

        int[] secondTurn = IntStream.concat(IntStream.of(firstTurn), IntStream.of(prompt(4, 9))).toArray();
        GenerationRequest second = request(secondTurn, 6, SamplingParams.greedy(), List.of());
        var sink = new RecordingSink();
        int stepsBefore = executor.stepTokens.size();
        harness.submit(second, sink);
        harness.runUntilIdle();
        assertEquals(20, harness.counter("llm.prefix.cache.hit.tokens"), "the five full pages of the first prompt");
        assertEquals(secondTurn.length - 20, executor.stepTokens.get(stepsBefore), "only the rest is prefilled");
        assertSameOutput(alone(second, 4, 32), sink, "second turn");

        // Prompt log-probabilities need every position computed: no reuse.
        var echo = new GenerationRequest(secondTurn, 2, SamplingParams.greedy(), List.of(), false, true, 1);
        var echoSink = new RecordingSink();
        harness.submit(echo, echoSink);
        harness.runUntilIdle();
        assertEquals(20, harness.counter("llm.prefix.cache.hit.tokens"));
        assertEquals(secondTurn.length - 1, echoSink.promptLogprobs.size());
    }

    @Test
    void withoutSharedPagesThereIsNoPrefixCache() {
        var harness = new SchedulerHarness(executor(4, 32, false), tokenizer, VOCABULARY, 8, 0, 1024);
        int[] prompt = prompt(3, 22);
        for (int i = 0; i < 2; i++) {
            var sink = new RecordingSink();
            harness.submit(request(prompt, 4, SamplingParams.greedy(), List.of()), sink);
            harness.runUntilIdle();
            assertEquals(FinishReason.LENGTH, sink.finished);
        }
        assertEquals(0, harness.counter("llm.prefix.cache.hit.tokens"));
        assertEquals(0, harness.replica.pool().cachedPages());
    }

    @Test
    void promptChunksKeepEachStepWithinThePrefillBudget() {
        var executor = executor(16, 64, true);
        var harness = new SchedulerHarness(executor, tokenizer, VOCABULARY, 8, 0, 8);
        var longPrompt = request(prompt(1, 40), 3, SamplingParams.greedy(), List.of());
        var sinks = List.of(new RecordingSink(), new RecordingSink());
        harness.submit(request(prompt(2, 2), 20, SamplingParams.greedy(), List.of()), sinks.get(0));
        harness.submit(longPrompt, sinks.get(1));
        harness.runUntilIdle();
        assertTrue(Collections.max(executor.stepTokens) <= 8 + 1, "8 prompt tokens and one decoded token at most: "
                + executor.stepTokens);
        assertSameOutput(alone(longPrompt, 16, 64), sinks.get(1), "chunked prompt");
    }

    @Test
    void aClientLeavingMidBatchFreesItsSequenceAtTheNextStepAndTheOthersGoOn() {
        var harness = new SchedulerHarness(executor(16, 64, true), tokenizer, VOCABULARY, 8, 0, 1024);
        List<GenerationRequest> requests = mixedRequests().subList(2, 6);
        List<RecordingSink> sinks = new ArrayList<>();
        List<Generation> handles = new ArrayList<>();
        for (GenerationRequest request : requests) {
            var sink = new RecordingSink();
            sinks.add(sink);
            handles.add(harness.submit(request, sink));
        }
        Generation leaving = handles.get(1);
        sinks.get(1).onToken = count -> {
            if (count == 3) {
                leaving.cancel();
            }
        };
        harness.runUntilIdle();
        assertTrue(sinks.get(1).cancelled);
        assertNull(sinks.get(1).finished);
        assertEquals(3, sinks.get(1).tokens, "no token after the one that saw the client leave");
        for (int i : new int[] {0, 2, 3}) {
            assertSameOutput(alone(requests.get(i), 16, 64), sinks.get(i), "request " + i);
        }
        assertEquals(0, harness.replica.pool().pagesInUse());
    }

    @Test
    void aStepThatThrowsFailsOnlyTheRequestThatBreaksIt() {
        var executor = executor(16, 64, true);
        var harness = new SchedulerHarness(executor, tokenizer, VOCABULARY, 8, 0, 1024);
        List<GenerationRequest> requests = mixedRequests().subList(0, 4);
        int[] faultyPrompt = prompt(5, 6);
        faultyPrompt[3] = 0; // never sampled (the fake logits keep ids below 3 out of reach)
        executor.faultyToken = 0;
        List<RecordingSink> sinks = new ArrayList<>();
        for (GenerationRequest request : requests) {
            var sink = new RecordingSink();
            sinks.add(sink);
            harness.submit(request, sink);
        }
        var broken = new RecordingSink();
        harness.submit(request(faultyPrompt, 10, SamplingParams.greedy(), List.of()), broken);
        harness.runUntilIdle();

        assertInstanceOf(IllegalStateException.class, broken.failure);
        assertNull(broken.finished);
        ErrorResponses.ErrorReply reply = ErrorResponses.toReply(broken.failure);
        assertEquals(500, reply.status());
        assertEquals("server_error", reply.body().error().type());
        for (int i = 0; i < requests.size(); i++) {
            assertSameOutput(alone(requests.get(i), 16, 64), sinks.get(i), "request " + i);
        }
        assertEquals(0, harness.replica.pool().pagesInUse());
    }

    @Test
    void aRequestPastItsTimeLimitFailsBeforeItsNextTokenAndTheReplicaServesOn() throws InterruptedException {
        var harness = new SchedulerHarness(executor(16, 64, true), tokenizer, VOCABULARY, 8, 0, 1024);
        harness.timeLimit = Duration.ofMillis(20);
        var late = new RecordingSink();
        harness.submit(request(prompt(1, 5), 10, SamplingParams.greedy(), List.of()), late);
        Thread.sleep(50);
        harness.runUntilIdle();
        assertInstanceOf(GenerationTimeoutException.class, late.failure);
        assertNull(late.finished);
        ErrorResponses.ErrorReply reply = ErrorResponses.toReply(late.failure);
        assertEquals(500, reply.status());
        assertEquals("timeout", reply.body().error().code());

        harness.timeLimit = Duration.ofMinutes(1);
        var inTime = new RecordingSink();
        harness.submit(request(prompt(1, 5), 10, SamplingParams.greedy(), List.of()), inTime);
        harness.runUntilIdle();
        assertEquals(FinishReason.LENGTH, inTime.finished);
    }

    @Test
    void closingTheServerCancelsEveryGeneration() {
        var generation = new Generation(request(prompt(1, 3), 4, SamplingParams.greedy(), List.of()),
                new RecordingSink(), tokenizer, new SchedulerHarness(executor(16, 4, true), tokenizer, VOCABULARY,
                1, 0, 8).metrics, Duration.ofMinutes(1), () -> true);
        assertTrue(generation.isCancelled());
    }

    @Test
    void promptLogprobsAreReportedOnceEvenWhenThePromptIsReadInChunks() {
        var executor = executor(4, 32, true);
        var harness = new SchedulerHarness(executor, tokenizer, VOCABULARY, 8, 0, 5);
        int[] prompt = prompt(8, 17);
        var echo = new GenerationRequest(prompt, 3, SamplingParams.greedy(), List.of(), true, true, 2);
        var chunked = new RecordingSink();
        harness.submit(echo, chunked);
        harness.runUntilIdle();
        RecordingSink whole = alone(echo, 4, 32);
        assertEquals(prompt.length - 1, chunked.promptLogprobs.size());
        List<TokenLogprobs> expected = whole.promptLogprobs;
        assertEquals(expected, chunked.promptLogprobs);
        assertSameOutput(whole, chunked, "echo");
    }
}
