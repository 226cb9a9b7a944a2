package dev.ggufserve.api;

import dev.ggufserve.config.LlmConfig;
import jakarta.enterprise.context.ApplicationScoped;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;

/**
 * Checks {@code Authorization: Bearer <key>} against LLM_API_KEY when one is configured. The key is
 * compared in constant time and never logged or echoed.
 */
@ApplicationScoped
public class ApiKeyCheck {

    private static final String BEARER = "Bearer ";

    private final Optional<byte[]> expectedKey;

    public ApiKeyCheck(LlmConfig config) {
        this.expectedKey = config.apiKey().map(key -> key.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * @param authorization the Authorization header, or null
     * @throws AuthenticationException when a key is configured and this header does not carry it
     */
    void check(String authorization) {
        if (expectedKey.isEmpty()) {
            return;
        }
        if (authorization == null || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())
                || authorization.length() == BEARER.length()) {
            throw new AuthenticationException("You didn't provide an API key. You need to provide your API key in an "
                    + "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).");
        }
        byte[] provided = authorization.substring(BEARER.length()).trim().getBytes(StandardCharsets.UTF_8);
        if (!MessageDigest.isEqual(expectedKey.get(), provided)) {
            throw new AuthenticationException("Incorrect API key provided.");
        }
    }
}
