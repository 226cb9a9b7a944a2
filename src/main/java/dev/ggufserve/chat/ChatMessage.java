package dev.ggufserve.chat;

import java.util.Objects;

/** One message of a conversation: its role ("system", "user", "assistant", ...) and its text. */
public record ChatMessage(String role, String content) {

    public ChatMessage {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
    }
}
