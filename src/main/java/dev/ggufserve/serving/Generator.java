package dev.ggufserve.serving;

import dev.ggufserve.metrics.ServingMetrics;
import dev.ggufserve.sampling.Sampler;
import dev.ggufserve.sampling.StopStringFilter;
import dev.ggufserve.sampling.TokenConstraint;
import dev.ggufserve.sampling.TokenLogprobs;
import dev.ggufserve.tokenizer.IncrementalDecoder;
import dev.ggufserve.tokenizer.Tokenizer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * The token loop of one request on one replica: load the prompt, then sample, detokenize, filter stop
 * strings and report each token until the model ends its turn, a stop string appears, the budget runs
 * out or the client leaves.
 */
public final class Generator {

    private final Tokenizer tokenizer;
    private final ServingMetrics metrics;
    private final Duration requestTimeout;

    /** @param requestTimeout the longest a request may take from being accepted to its last token */
    public Generator(Tokenizer tokenizer, ServingMetrics metrics, Duration requestTimeout) {
        this.tokenizer = tokenizer;
        this.metrics = metrics;
        this.requestTimeout = requestTimeout;
    }

    /**
     * @param acceptedNanos {@link System#nanoTime()} when the request was accepted, for time to first token
     *                      and the request's time limit
     * @param cancelled     checked before every token, so a client that left stops its generation
     *                      within one token
     * @throws GenerationTimeoutException when the time limit passes; checked before the prompt and
     *                                    before every token (a prompt being read is not interrupted)
     */
    public void generate(Replica replica, GenerationRequest request, GenerationSink sink,
                         BooleanSupplier cancelled, long acceptedNanos) {
        long deadlineNanos = acceptedNanos + requestTimeout.toNanos();
        checkTimeLimit(deadlineNanos);
        float[] logits = loadPrompt(replica, request, sink);
        metrics.promptProcessed(request.promptTokens().length);

        var sampler = new Sampler(request.sampling());
        var stopFilter = new StopStringFilter(request.stops());
        IncrementalDecoder decoder = tokenizer.newDecoder();
        int[] generated = new int[request.maxTokens()];
        int count = 0;
        long previousNanos = acceptedNanos;
        FinishReason reason = FinishReason.LENGTH;
        while (count < request.maxTokens()) {
            if (cancelled.getAsBoolean()) {
                sink.cancelled();
                return;
            }
            checkTimeLimit(deadlineNanos);
            // Structured outputs: sample only among the tokens the constraint allows, and tell it the choice.
            TokenConstraint constraint = request.constraint();
            int token = sampler.sample(constraint == null ? logits : constraint.mask(logits), generated, count);
            if (constraint != null) {
                constraint.accept(token);
            }
            TokenLogprobs logprobs = request.tokenLogprobs()
                    ? TokenLogprobs.of(logits, token, request.topLogprobs())
                    : null;
            generated[count++] = token;
            long now = System.nanoTime();
            metrics.tokenGenerated(Duration.ofNanos(now - previousNanos), count == 1);
            previousNanos = now;

            if (tokenizer.isEndOfGeneration(token)) {
                reason = FinishReason.STOP;
                break;
            }
            sink.generated(stopFilter.accept(decoder.accept(token)), logprobs);
            if (stopFilter.stopped() || constraint != null && constraint.complete()) {
                reason = FinishReason.STOP;
                break;
            }
            // The last token's logits would never be used, so it is not run through the model.
            if (count < request.maxTokens()) {
                logits = replica.appendToken(token);
            }
        }
        if (!stopFilter.stopped()) {
            String tail = stopFilter.accept(decoder.finish());
            if (!stopFilter.stopped()) {
                tail += stopFilter.finish();
            }
            if (!tail.isEmpty()) {
                sink.generated(tail, null);
            }
        }
        sink.finished(reason, request.promptTokens().length, count);
    }

    private void checkTimeLimit(long deadlineNanos) {
        if (System.nanoTime() - deadlineNanos > 0) {
            throw new GenerationTimeoutException(requestTimeout);
        }
    }

    private static float[] loadPrompt(Replica replica, GenerationRequest request, GenerationSink sink) {
        int[] prompt = request.promptTokens();
        if (!request.promptLogprobs()) {
            return replica.loadPrompt(prompt, null);
        }
        // The logits after prompt token i score prompt token i + 1; the array is reused, so each
        // position is summarised right away.
        List<TokenLogprobs> scored = new ArrayList<>(prompt.length - 1);
        float[] logits = replica.loadPrompt(prompt, (index, positionLogits) -> {
            if (index + 1 < prompt.length) {
                scored.add(TokenLogprobs.of(positionLogits, prompt[index + 1], request.topLogprobs()));
            }
        });
        sink.promptScored(scored);
        return logits;
    }
}
