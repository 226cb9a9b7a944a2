package dev.ggufserve.model;

import java.util.Optional;

/** The model families gguf-serve can run, by their GGUF {@code general.architecture} name. */
public enum Architecture {
    /** Llama 2/3, Mistral, TinyLlama, SmolLM: separate q/k/v and gate/up, rotary pairs adjacent. */
    LLAMA("llama"),
    /** Phi-3: fused attn_qkv and ffn_up (gate half then up half), NEOX rotary (pairs half a head apart). */
    PHI3("phi3");

    private final String ggufName;

    Architecture(String ggufName) {
        this.ggufName = ggufName;
    }

    public String ggufName() {
        return ggufName;
    }

    public static Optional<Architecture> byGgufName(String name) {
        for (Architecture architecture : values()) {
            if (architecture.ggufName.equals(name)) {
                return Optional.of(architecture);
            }
        }
        return Optional.empty();
    }
}
