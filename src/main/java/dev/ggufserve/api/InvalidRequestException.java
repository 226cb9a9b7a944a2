package dev.ggufserve.api;

/** 400: the request is malformed or a value is out of range. */
public final class InvalidRequestException extends ApiException {

    public InvalidRequestException(String param, String message) {
        this(param, null, message);
    }

    public InvalidRequestException(String param, String code, String message) {
        super(400, message, param, code);
    }
}
