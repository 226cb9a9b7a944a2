package dev.ggufserve.api;

/** 401: the API key is missing or wrong. The message never repeats the key that was sent. */
public final class AuthenticationException extends ApiException {

    public AuthenticationException(String message) {
        super(401, message, null, "invalid_api_key");
    }
}
