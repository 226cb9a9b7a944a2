package dev.ggufserve.api;

/**
 * A request the API refuses, carrying what OpenAI's error JSON reports. {@link ErrorResponses} turns
 * it, and every other failure, into that JSON.
 */
public abstract sealed class ApiException extends RuntimeException
        permits InvalidRequestException, NotFoundException, AuthenticationException, RequestTooLargeException {

    private final int status;
    private final String param;
    private final String code;

    protected ApiException(int status, String message, String param, String code) {
        super(message);
        this.status = status;
        this.param = param;
        this.code = code;
    }

    public int status() {
        return status;
    }

    /** OpenAI reports every client error on these endpoints as {@code invalid_request_error}. */
    public String type() {
        return "invalid_request_error";
    }

    /** The request field at fault, or null. */
    public String param() {
        return param;
    }

    /** A machine-readable reason such as {@code model_not_found}, or null. */
    public String code() {
        return code;
    }
}
