package dev.ggufserve.serving;

import dev.ggufserve.api.ErrorResponses;
import dev.ggufserve.engine.Sequence;
import dev.ggufserve.gguf.GgufFile;
import dev.ggufserve.metrics.ServingMetrics;
import dev.ggufserve.sampling.SamplingParams;
import dev.ggufserve.sampling.TokenLogprobs;
import dev.ggufserve.tokenizer.Tokenizer;
import dev.ggufserve.tokenizer.Tokenizers;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An exception inside the engine ends that request with a failure (a 500 in OpenAI's shape, or an error
 * event in a stream) and leaves its replica empty and serving; a request past its time limit ends the same
 * way before its next token.
 */
class EngineFaultTest {

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

    /** A sequence whose logits favour token 100 and which throws on the append numbered {@code failingAppend}. */
    private static final class FaultySequence implements Sequence {
        private final int failingAppend;
        private int appends;
        private int length;

        FaultySequence(int failingAppend) {
            this.failingAppend = failingAppend;
        }

        @Override
        public float[] append(int[] tokens, LogitsListener everyPosition) {
            if (++appends == failingAppend) {
                length += tokens.length / 2;
                throw new IllegalStateException("simulated kernel fault");
            }
            length += tokens.length;
            float[] logits = new float[tokenizer.vocabularySize()];
            logits[100] = 10;
            return logits;
        }

        @Override
        public void truncate(int newLength) {
            length = newLength;
        }

        @Override
        public int length() {
            return length;
        }

        @Override
        public int capacity() {
            return 64;
        }

        @Override
        public void close() {
        }
    }

    /** Records what a generation reported. */
    private static final class RecordingSink implements GenerationSink {
        final List<String> texts = new ArrayList<>();
        RuntimeException failure;
        FinishReason finished;

        @Override
        public void promptScored(List<TokenLogprobs> fromSecondToken) {
        }

        @Override
        public void generated(String text, TokenLogprobs logprobs) {
            texts.add(text);
        }

        @Override
        public void finished(FinishReason reason, int promptTokens, int completionTokens) {
            finished = reason;
        }

        @Override
        public void failed(RuntimeException error) {
            failure = error;
        }

        @Override
        public void cancelled() {
        }
    }

    private static GenerationRequest request(int maxTokens) {
        return new GenerationRequest(new int[] {1, 200, 300}, maxTokens, SamplingParams.greedy(), List.of(), false,
                false, 0);
    }

    private static Generator generator(Duration timeLimit) {
        return new Generator(tokenizer, new ServingMetrics(new SimpleMeterRegistry()), timeLimit);
    }

    @Test
    void anEngineExceptionFailsTheRequestAndTheReplicaServesTheNext() {
        // The third append is the second generated token's forward pass.
        Replica replica = new Replica(new FaultySequence(3));
        Generator generator = generator(Duration.ofMinutes(1));

        RecordingSink broken = new RecordingSink();
        new GenerationTask(request(10), broken, generator, () -> false).runOn(replica);
        assertInstanceOf(IllegalStateException.class, broken.failure);
        assertNull(broken.finished);
        assertEquals(0, replica.length(), "a half-written KV state is forgotten");
        ErrorResponses.ErrorReply reply = ErrorResponses.toReply(broken.failure);
        assertEquals(500, reply.status());
        assertEquals("server_error", reply.body().error().type());

        RecordingSink next = new RecordingSink();
        new GenerationTask(request(5), next, generator, () -> false).runOn(replica);
        assertNull(next.failure);
        assertEquals(FinishReason.LENGTH, next.finished);
        assertEquals(3 + 4, replica.length(), "the prompt and every generated token but the last");
    }

    @Test
    void aRequestPastItsTimeLimitFailsBeforeItsNextToken() throws InterruptedException {
        Replica replica = new Replica(new FaultySequence(-1));
        RecordingSink late = new RecordingSink();
        var lateTask = new GenerationTask(request(10), late, generator(Duration.ofMillis(20)), () -> false);
        Thread.sleep(50);
        lateTask.runOn(replica);
        assertInstanceOf(GenerationTimeoutException.class, late.failure);
        assertNull(late.finished);
        ErrorResponses.ErrorReply reply = ErrorResponses.toReply(late.failure);
        assertEquals(500, reply.status());
        assertEquals("timeout", reply.body().error().code());

        RecordingSink inTime = new RecordingSink();
        new GenerationTask(request(10), inTime, generator(Duration.ofMinutes(1)), () -> false).runOn(replica);
        assertEquals(FinishReason.LENGTH, inTime.finished, "the replica serves on");
    }

    @Test
    void closingTheServerCancelsEveryTask() {
        RecordingSink sink = new RecordingSink();
        var task = new GenerationTask(request(10), sink, generator(Duration.ofMinutes(1)), () -> true);
        assertTrue(task.isCancelled());
    }
}
