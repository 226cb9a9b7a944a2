package dev.ggufserve.serving;

import dev.ggufserve.engine.Sequence;
import dev.ggufserve.metrics.ServingMetrics;
import dev.ggufserve.sampling.Sampler;
import dev.ggufserve.sampling.StopStringFilter;
import dev.ggufserve.sampling.TokenConstraint;
import dev.ggufserve.sampling.TokenLogprobs;
import dev.ggufserve.tokenizer.IncrementalDecoder;
import dev.ggufserve.tokenizer.Tokenizer;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * The state of one request from being accepted to its last token, whichever replica and step serve it: the
 * tokens so far (prompt, then generated), its sampler with its seed, penalties and logit bias, the stop-string
 * filter, the incremental decoder, log-probabilities, its deadline and whether its client has left. The scheduler
 * decides when its tokens run; this class decides what the logits after them mean.
 *
 * <p>A preempted generation keeps all of this and is resumed by recomputing {@link #tokens()}: text already sent
 * is never sent again, because sampling resumes after the tokens generated so far.
 *
 * <p>Everything but {@link #cancel} runs on the worker thread of the replica serving it.
 */
final class Generation implements GenerationHandle {

    private final GenerationRequest request;
    private final GenerationSink sink;
    private final Tokenizer tokenizer;
    private final ServingMetrics metrics;
    private final Duration timeLimit;
    private final BooleanSupplier serverClosing;
    private final long acceptedNanos = System.nanoTime();
    private final Sampler sampler;
    private final StopStringFilter stopFilter;
    private final IncrementalDecoder decoder;
    /** The prompt followed by the generated tokens; the first {@link #length()} entries are valid. */
    private final int[] tokens;
    private final int promptLength;
    /** The generated tokens alone, as the sampler's penalties read them. */
    private final int[] generated;
    private int generatedCount;
    private long previousTokenNanos = acceptedNanos;
    /** Prompt log-probabilities by position (index i scores prompt token i + 1), filled as the prompt runs. */
    private final TokenLogprobs[] promptScores;
    private boolean promptDone;
    private boolean admitted;
    /** Set from an HTTP thread when the client disconnects, read by the replica's worker thread. */
    private volatile boolean cancelled;

    /**
     * @param timeLimit     the longest the request may take from now (queue wait included) to its last token
     * @param serverClosing true once the server stops for good: the generation then ends at the next step
     */
    Generation(GenerationRequest request, GenerationSink sink, Tokenizer tokenizer, ServingMetrics metrics,
               Duration timeLimit, BooleanSupplier serverClosing) {
        this.request = request;
        this.sink = sink;
        this.tokenizer = tokenizer;
        this.metrics = metrics;
        this.timeLimit = timeLimit;
        this.serverClosing = serverClosing;
        this.sampler = new Sampler(request.sampling());
        this.stopFilter = new StopStringFilter(request.stops());
        this.decoder = tokenizer.newDecoder();
        this.promptLength = request.promptTokens().length;
        this.tokens = Arrays.copyOf(request.promptTokens(), promptLength + request.maxTokens());
        this.generated = new int[request.maxTokens()];
        this.promptScores = request.promptLogprobs() ? new TokenLogprobs[promptLength - 1] : null;
    }

    /** The prompt and the tokens generated so far; only the first {@link #length()} entries are valid. */
    int[] tokens() {
        return tokens;
    }

    /** Tokens whose keys and values the sequence needs before it can sample its next token. */
    int length() {
        return promptLength + generatedCount;
    }

    int promptLength() {
        return promptLength;
    }

    /** The most tokens this generation can ever hold: its prompt and its whole budget. */
    int maxLength() {
        return promptLength + request.maxTokens();
    }

    /** Prompt log-probabilities need the logits of every prompt position, so no cached prefix may be used. */
    boolean mayUseCachedPrefix() {
        return !request.promptLogprobs();
    }

    long acceptedNanos() {
        return acceptedNanos;
    }

    /** True the first time the generation is admitted to a batch (not when it resumes after preemption). */
    boolean firstAdmission() {
        boolean first = !admitted;
        admitted = true;
        return first;
    }

    @Override
    public void cancel() {
        cancelled = true;
    }

    boolean isCancelled() {
        return cancelled || serverClosing.getAsBoolean();
    }

    boolean isPastDeadline(long nowNanos) {
        return nowNanos - acceptedNanos - timeLimit.toNanos() > 0;
    }

    /**
     * Receives the logits of the chunk of tokens starting at {@code startPosition}, when they are needed: only
     * prompt log-probabilities need them, and only until the prompt has been scored once (a recomputation after
     * preemption does not score it again).
     */
    Sequence.LogitsListener promptListener(int startPosition) {
        if (promptScores == null || promptDone || startPosition >= promptLength - 1) {
            return null;
        }
        return (index, logits) -> {
            int position = startPosition + index;
            if (position + 1 < promptLength) {
                promptScores[position] = TokenLogprobs.of(logits, tokens[position + 1], request.topLogprobs());
            }
        };
    }

    /**
     * Takes the logits after the last of {@link #tokens()}: reports the prompt when it has just been read, then
     * samples the next token and reports its text. The one place where a token is chosen.
     *
     * @return true when the generation has ended (finished was reported): the model ended its turn, a stop string
     *         appeared or the budget ran out
     */
    boolean advance(float[] logits) {
        if (!promptDone) {
            promptDone = true;
            metrics.promptProcessed(promptLength);
            if (promptScores != null) {
                sink.promptScored(List.of(promptScores));
            }
        }
        if (generatedCount == request.maxTokens()) {
            return finish(FinishReason.LENGTH);
        }
        // Structured outputs: sample only among the tokens the constraint allows, and tell it the choice.
        TokenConstraint constraint = request.constraint();
        int token = sampler.sample(constraint == null ? logits : constraint.mask(logits), generated, generatedCount);
        if (constraint != null) {
            constraint.accept(token);
        }
        TokenLogprobs logprobs = request.tokenLogprobs()
                ? TokenLogprobs.of(logits, token, request.topLogprobs())
                : null;
        tokens[promptLength + generatedCount] = token;
        generated[generatedCount++] = token;
        long now = System.nanoTime();
        metrics.tokenGenerated(Duration.ofNanos(now - previousTokenNanos), generatedCount == 1);
        previousTokenNanos = now;

        if (tokenizer.isEndOfGeneration(token)) {
            return finish(FinishReason.STOP);
        }
        sink.generated(stopFilter.accept(decoder.accept(token)), logprobs);
        if (stopFilter.stopped() || constraint != null && constraint.complete()) {
            return finish(FinishReason.STOP);
        }
        // The last token's logits would never be used, so it is not run through the model.
        return generatedCount == request.maxTokens() && finish(FinishReason.LENGTH);
    }

    private boolean finish(FinishReason reason) {
        if (!stopFilter.stopped()) {
            String tail = stopFilter.accept(decoder.finish());
            if (!stopFilter.stopped()) {
                tail += stopFilter.finish();
            }
            if (!tail.isEmpty()) {
                sink.generated(tail, null);
            }
        }
        sink.finished(reason, promptLength, generatedCount);
        return true;
    }

    /** The time limit passed before the next token. */
    void timedOut() {
        sink.failed(new GenerationTimeoutException(timeLimit));
    }

    void failed(RuntimeException error) {
        sink.failed(error);
    }

    /** The client left, before or during generation, or the server is closing. */
    void cancelled() {
        sink.cancelled();
    }
}
