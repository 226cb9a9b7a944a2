package dev.ggufserve.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ggufserve.sampling.SamplingParams;
import dev.ggufserve.serving.ServedModel;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks the parameters both generation endpoints share against OpenAI's ranges and fills in its
 * defaults. Every refusal is a 400 naming the offending param.
 */
final class GenerationParameterValidation {

    /** OpenAI accepts at most four stop strings. */
    static final int MAX_STOPS = 4;

    private GenerationParameterValidation() {
    }

    /** The model must be the one served: 404 otherwise, as OpenAI answers for a model it does not have. */
    static void checkModel(GenerationParameters params, ServedModel served) {
        if (params.model() == null) {
            throw new InvalidRequestException("model", "You must provide a model parameter.");
        }
        if (!params.model().equals(served.id())) {
            throw NotFoundException.model(params.model());
        }
    }

    static void checkSingleChoice(GenerationParameters params) {
        if (params.n() != null && params.n() != 1) {
            throw new InvalidRequestException("n", "Invalid 'n': only n = 1 is supported, but got " + params.n() + ".");
        }
    }

    static boolean streams(GenerationParameters params) {
        return Boolean.TRUE.equals(params.stream());
    }

    static boolean includesUsage(GenerationParameters params) {
        if (params.streamOptions() != null && !streams(params)) {
            throw new InvalidRequestException("stream_options",
                    "The 'stream_options' parameter is only allowed when 'stream' is enabled.");
        }
        return params.streamOptions() != null && Boolean.TRUE.equals(params.streamOptions().includeUsage());
    }

    static SamplingParams sampling(GenerationParameters params, ServedModel served) {
        return new SamplingParams(
                inRange("temperature", params.temperature(), 0, 2, 1.0),
                inRange("top_p", params.topP(), 0, 1, 1.0),
                atLeastZero("top_k", params.topK()),
                inRange("min_p", params.minP(), 0, 1, 0.0),
                inRange("presence_penalty", params.presencePenalty(), -2, 2, 0.0),
                inRange("frequency_penalty", params.frequencyPenalty(), -2, 2, 0.0),
                logitBias(params.logitBias(), served),
                params.seed());
    }

    static List<String> stops(GenerationParameters params) {
        JsonNode stop = params.stop();
        if (stop == null || stop.isNull()) {
            return List.of();
        }
        if (stop.isTextual()) {
            return List.of(nonEmptyStop(stop.textValue()));
        }
        if (!stop.isArray()) {
            throw new InvalidRequestException("stop", "Invalid 'stop': expected a string or an array of strings.");
        }
        if (stop.size() > MAX_STOPS) {
            throw new InvalidRequestException("stop",
                    "Invalid 'stop': expected at most " + MAX_STOPS + " strings, but got " + stop.size() + ".");
        }
        List<String> stops = new ArrayList<>();
        for (JsonNode element : stop) {
            if (!element.isTextual()) {
                throw new InvalidRequestException("stop", "Invalid 'stop': expected a string or an array of strings.");
            }
            stops.add(nonEmptyStop(element.textValue()));
        }
        return stops;
    }

    /**
     * The token budget: {@code max_tokens} when given, else {@code defaultMaxTokens}, else whatever the
     * context leaves after the prompt.
     *
     * @param defaultMaxTokens null means "until the context is full"
     * @param minimum          the smallest max_tokens accepted (0 where an echo-only request makes sense)
     * @param promptParam      the param blamed when the prompt does not fit
     */
    static int maxTokens(GenerationParameters params, Integer defaultMaxTokens, int minimum, int promptTokens,
                         ServedModel served, String promptParam) {
        Integer requested = params.maxTokens();
        if (requested != null && requested < minimum) {
            throw new InvalidRequestException("max_tokens", "Invalid 'max_tokens': expected a value >= " + minimum
                    + ", but got " + requested + ".");
        }
        int room = served.contextLength() - promptTokens;
        int budget = requested != null ? requested : defaultMaxTokens != null ? defaultMaxTokens : room;
        // budget < minimum only when the default "rest of the context" leaves no room at all.
        if (budget < minimum || promptTokens + budget > served.contextLength()) {
            throw new InvalidRequestException(promptParam, "context_length_exceeded",
                    "This model's maximum context length is " + served.contextLength() + " tokens. However, you"
                            + " requested " + (promptTokens + Math.max(budget, minimum)) + " tokens (" + promptTokens
                            + " in the " + promptParam + ", " + Math.max(budget, minimum) + " for the completion)."
                            + " Please reduce the length of the " + promptParam + " or the completion.");
        }
        return budget;
    }

    private static String nonEmptyStop(String stop) {
        if (stop.isEmpty()) {
            throw new InvalidRequestException("stop", "Invalid 'stop': stop strings must not be empty.");
        }
        return stop;
    }

    private static double inRange(String param, Double value, double min, double max, double defaultValue) {
        if (value == null) {
            return defaultValue;
        }
        if (value < min || value > max) {
            throw new InvalidRequestException(param, "Invalid '" + param + "': expected a value between "
                    + format(min) + " and " + format(max) + ", but got " + format(value) + ".");
        }
        return value;
    }

    private static int atLeastZero(String param, Integer value) {
        if (value == null) {
            return 0;
        }
        if (value < 0) {
            throw new InvalidRequestException(param, "Invalid '" + param + "': expected a value >= 0, but got "
                    + value + ".");
        }
        return value;
    }

    /** Keys are token ids written as strings, as in OpenAI's API. */
    private static Map<Integer, Double> logitBias(Map<String, Double> requested, ServedModel served) {
        if (requested == null) {
            return Map.of();
        }
        Map<Integer, Double> bias = new HashMap<>();
        for (Map.Entry<String, Double> entry : requested.entrySet()) {
            int tokenId;
            try {
                tokenId = Integer.parseInt(entry.getKey());
            } catch (NumberFormatException e) {
                throw new InvalidRequestException("logit_bias", "Invalid key in 'logit_bias': '" + entry.getKey()
                        + "' is not a token id.");
            }
            if (!served.tokenizer().isValidId(tokenId)) {
                throw new InvalidRequestException("logit_bias", "Invalid key in 'logit_bias': token id " + tokenId
                        + " is outside the vocabulary of " + served.tokenizer().vocabularySize() + " tokens.");
            }
            Double value = entry.getValue();
            if (value == null || value < -100 || value > 100) {
                throw new InvalidRequestException("logit_bias", "Invalid value in 'logit_bias' for token " + tokenId
                        + ": expected a number between -100 and 100, but got " + value + ".");
            }
            bias.put(tokenId, value);
        }
        return bias;
    }

    /** Whole numbers without a trailing ".0", as a person would write them. */
    private static String format(double value) {
        return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
    }
}
