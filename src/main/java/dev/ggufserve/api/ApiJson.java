package dev.ggufserve.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.type.LogicalType;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Reads request bodies as strictly as OpenAI does ({@code "max_tokens": "12"} or {@code 1.5} is a type
 * error, not a silent conversion) and writes JSON replies, errors included.
 *
 * <p>Every record this mapper reads or writes carries {@code @RegisterForReflection} (nested records
 * included), which a native image needs for a mapper Quarkus does not know about.
 */
@ApplicationScoped
public class ApiJson {

    private final ObjectMapper mapper;

    public ApiJson(ObjectMapper quarkusMapper) {
        this.mapper = quarkusMapper.copy()
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        for (LogicalType scalar : new LogicalType[] {LogicalType.Integer, LogicalType.Float, LogicalType.Boolean}) {
            mapper.coercionConfigFor(scalar).setCoercion(CoercionInputShape.String, CoercionAction.Fail);
        }
        mapper.coercionConfigFor(LogicalType.Boolean).setCoercion(CoercionInputShape.Integer, CoercionAction.Fail);
        for (CoercionInputShape scalar : new CoercionInputShape[] {
                CoercionInputShape.Integer, CoercionInputShape.Float, CoercionInputShape.Boolean}) {
            mapper.coercionConfigFor(LogicalType.Textual).setCoercion(scalar, CoercionAction.Fail);
        }
    }

    /**
     * @param body the request body; null when the request had none
     * @throws IOException Jackson's exceptions, which {@link ErrorResponses} maps to 400 with the param
     */
    public <T> T read(Buffer body, Class<T> type) throws IOException {
        T value = body == null || body.length() == 0 ? null : mapper.readValue(body.getBytes(), type);
        if (value == null) {
            throw new InvalidRequestException(null, "The request body must be a JSON object.");
        }
        return value;
    }

    /** The strict mapper itself, for converting request fragments (tool definitions, arguments). */
    ObjectMapper mapper() {
        return mapper;
    }

    public String write(Object value) {
        try {
            return mapper.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException("Could not serialize " + value.getClass().getSimpleName(), e);
        }
    }

    /** Sends {@code body}; does nothing when the client has already gone. */
    public void sendJson(HttpServerResponse response, int status, Object body) {
        if (response.closed()) {
            return;
        }
        response.setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .end(write(body));
    }

    /** Sends the OpenAI error JSON for {@code failure}, unless the response has already started or ended. */
    public void sendError(HttpServerResponse response, Throwable failure) {
        ErrorResponses.ErrorReply reply = ErrorResponses.toReply(failure);
        if (response.headWritten()) {
            return;
        }
        if (reply.retryAfterSeconds() > 0) {
            response.putHeader("Retry-After", Integer.toString(reply.retryAfterSeconds()));
        }
        sendJson(response, reply.status(), reply.body());
    }
}
