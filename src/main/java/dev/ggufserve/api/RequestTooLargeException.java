package dev.ggufserve.api;

/** 413: the request body is larger than the server reads. */
public final class RequestTooLargeException extends ApiException {

    public RequestTooLargeException(long limitBytes) {
        super(413, "The request body is larger than the limit of " + limitBytes + " bytes.", null,
                "request_too_large");
    }
}
