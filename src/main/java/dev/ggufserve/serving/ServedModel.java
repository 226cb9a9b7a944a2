package dev.ggufserve.serving;

import dev.ggufserve.chat.ChatTemplate;
import dev.ggufserve.tokenizer.Tokenizer;

/**
 * What the API layer needs to know about the model being served.
 *
 * @param id                  the id clients send as {@code model}
 * @param createdEpochSeconds when the model was loaded, reported by /v1/models
 * @param contextLength       tokens one request may hold, prompt and completion together
 */
public record ServedModel(String id, long createdEpochSeconds, Tokenizer tokenizer, ChatTemplate chatTemplate,
                          int contextLength) {
}
