package dev.ggufserve.api;

/** 404: an unknown model or URL. */
public final class NotFoundException extends ApiException {

    private NotFoundException(String message, String param, String code) {
        super(404, message, param, code);
    }

    public static NotFoundException model(String model) {
        return new NotFoundException("The model '" + model + "' does not exist or you do not have access to it.",
                "model", "model_not_found");
    }

    public static NotFoundException url(String method, String path) {
        return new NotFoundException("Unknown request URL: " + method + " " + path + ".", null, "unknown_url");
    }
}
