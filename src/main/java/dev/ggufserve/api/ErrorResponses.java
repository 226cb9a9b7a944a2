package dev.ggufserve.api;

import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import dev.ggufserve.chat.ChatTemplateException;
import dev.ggufserve.serving.ContextLengthExceededException;
import dev.ggufserve.serving.GenerationTimeoutException;
import dev.ggufserve.serving.QueueFullException;
import dev.ggufserve.serving.ServerShuttingDownException;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * The one place where failures become OpenAI's error JSON: API refusals, malformed JSON, chat template
 * errors, a full queue, and anything unexpected (a 500 whose details stay in the log).
 */
public final class ErrorResponses {

    private static final Logger LOG = Logger.getLogger(ErrorResponses.class);
    /** A batch place frees up within a generation; a second is a polite first retry. */
    static final int RETRY_AFTER_SECONDS = 1;

    /**
     * An error reply.
     *
     * @param retryAfterSeconds value of the Retry-After header, or 0 for none
     */
    public record ErrorReply(int status, OpenAiError body, int retryAfterSeconds) {
    }

    private ErrorResponses() {
    }

    public static ErrorReply toReply(Throwable failure) {
        return switch (failure) {
            case ApiException api -> new ErrorReply(api.status(),
                    new OpenAiError(api.getMessage(), api.type(), api.param(), api.code()), 0);
            case QueueFullException full -> new ErrorReply(429,
                    new OpenAiError(full.getMessage(), "requests", null, "rate_limit_exceeded"), RETRY_AFTER_SECONDS);
            case ContextLengthExceededException tooLong -> new ErrorReply(400,
                    new OpenAiError(tooLong.getMessage(), "invalid_request_error", null, "context_length_exceeded"), 0);
            case ServerShuttingDownException stopping -> new ErrorReply(503,
                    new OpenAiError(stopping.getMessage(), "server_error", null, "server_shutting_down"), 0);
            case GenerationTimeoutException timeout -> new ErrorReply(500,
                    new OpenAiError(timeout.getMessage(), "server_error", null, "timeout"), 0);
            case ChatTemplateException template -> invalid("messages",
                    "The chat template could not render these messages: " + template.getMessage());
            case MismatchedInputException mismatch when !mismatch.getPath().isEmpty() ->
                    invalid(paramOf(mismatch), "Invalid type for '" + paramOf(mismatch) + "': expected "
                            + describe(mismatch.getTargetType()) + ".");
            case JsonMappingException mapping when !mapping.getPath().isEmpty() ->
                    invalid(paramOf(mapping), "Invalid value for '" + paramOf(mapping) + "': "
                            + mapping.getOriginalMessage());
            case StreamReadException unreadable -> invalid(null, "We could not parse the JSON body of your request: "
                    + unreadable.getOriginalMessage());
            case JsonMappingException notAnObject -> invalid(null, "The request body must be a JSON object.");
            default -> {
                LOG.error("Request failed", failure);
                yield new ErrorReply(500, new OpenAiError(
                        "The server had an error while processing your request.", "server_error", null, null), 0);
            }
        };
    }

    private static ErrorReply invalid(String param, String message) {
        return new ErrorReply(400, new OpenAiError(message, "invalid_request_error", param, null), 0);
    }

    /** OpenAI names nested fields as {@code messages.[0].content}. */
    private static String paramOf(JsonMappingException e) {
        List<String> parts = new ArrayList<>();
        for (JsonMappingException.Reference reference : e.getPath()) {
            parts.add(reference.getFieldName() != null ? reference.getFieldName() : "[" + reference.getIndex() + "]");
        }
        return String.join(".", parts);
    }

    private static String describe(Class<?> type) {
        if (type == null) {
            return "another type";
        }
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
            return "an integer";
        }
        if (type == Double.class || type == double.class || type == Float.class || type == float.class) {
            return "a number";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "a boolean";
        }
        if (type == String.class) {
            return "a string";
        }
        if (Collection.class.isAssignableFrom(type) || type.isArray()) {
            return "an array";
        }
        if (Map.class.isAssignableFrom(type) || type.isRecord()) {
            return "an object";
        }
        return "another type";
    }
}
