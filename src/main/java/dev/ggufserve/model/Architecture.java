package dev.ggufserve.model;

import java.util.Optional;

/** The model families gguf-serve can run, by their GGUF {@code general.architecture} name. */
public enum Architecture {
    /**
     * Llama 2/3.x, Mistral, TinyLlama, SmolLM: separate q/k/v and gate/up, rotary pairs adjacent; Llama 3.1+
     * divides the rotary frequencies by {@code rope_freqs.weight}.
     */
    LLAMA("llama"),
    /** Phi-3, Phi-3.5, Phi-4-mini: fused attn_qkv and ffn_up (gate half then up half), NEOX rotary. */
    PHI3("phi3"),
    /** Qwen2, Qwen2.5: llama's tensors plus q/k/v biases, NEOX rotary. */
    QWEN2("qwen2"),
    /** Qwen3 (dense): llama's tensors plus an RMSNorm of each q and k head before the rotary, NEOX rotary. */
    QWEN3("qwen3");

    private final String ggufName;

    Architecture(String ggufName) {
        this.ggufName = ggufName;
    }

    /**
     * Whether the rotary embedding pairs dimension i with i + ropeDimension/2 (llama.cpp's NEOX mode) rather than
     * adjacent dimensions.
     */
    public boolean neoxRotary() {
        return this != LLAMA;
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
