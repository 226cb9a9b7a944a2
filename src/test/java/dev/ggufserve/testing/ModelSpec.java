package dev.ggufserve.testing;

import dev.ggufserve.gguf.GgmlType;

import java.util.HashMap;
import java.util.Map;

/**
 * What {@link RandomModels} builds: a small random-weight {@code llama} or {@code phi3} model.
 *
 * <p>Start from {@link #llama()} or {@link #phi3()} and change what a test needs with the {@code with*} methods:
 * <pre>{@code ModelSpec.phi3().withSize(256, 512).withType(GgmlType.Q4_K).withRoleType("ffn_down", GgmlType.Q6_K)}</pre>
 *
 * @param typeByRole   weight type by tensor role, overriding {@code defaultType}; a role is the tensor name without
 *                     its {@code blk.N.} prefix and {@code .weight} suffix ("attn_qkv", "output", "token_embd").
 *                     One-dimensional tensors (norms, rope factors) are always F32, as in llama.cpp's files.
 * @param slidingWindow phi3 attention window in tokens ({@code phi3.attention.sliding_window}), 0 for none
 * @param longRope     phi3 only: add LongRoPE factors ({@code rope_factors_long/short.weight}) and scaling keys,
 *                     with an original context length of a quarter of {@code contextLength}
 */
public record ModelSpec(String architecture, String name, int vocab, int embd, int layers, int heads, int kvHeads,
        int ff, int contextLength, GgmlType defaultType, Map<String, GgmlType> typeByRole, long seed,
        int slidingWindow, boolean longRope) {

    public ModelSpec {
        if (!architecture.equals("llama") && !architecture.equals("phi3")) {
            throw new IllegalArgumentException("architecture must be llama or phi3, not " + architecture);
        }
        if (embd % heads != 0 || (embd / heads) % 2 != 0) {
            throw new IllegalArgumentException("embd " + embd + " must split into " + heads + " heads of even size");
        }
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException(heads + " heads cannot be shared by " + kvHeads + " kv heads");
        }
        if ((slidingWindow != 0 || longRope) && !architecture.equals("phi3")) {
            throw new IllegalArgumentException("sliding window and LongRoPE are phi3 features");
        }
        typeByRole = Map.copyOf(typeByRole);
    }

    /** A llama model with grouped-query attention: 4 heads sharing 2 kv heads, 64-wide, 2 layers, F32. */
    public static ModelSpec llama() {
        return new ModelSpec("llama", "random-llama", 320, 64, 2, 4, 2, 128, 128, GgmlType.F32, Map.of(), 1, 0, false);
    }

    /** A phi3 model (fused qkv and gate/up tensors): 4 heads, 64-wide, 2 layers, F32. */
    public static ModelSpec phi3() {
        return new ModelSpec("phi3", "random-phi3", 320, 64, 2, 4, 4, 128, 128, GgmlType.F32, Map.of(), 1, 0, false);
    }

    public int headDim() {
        return embd / heads;
    }

    /** The weight type of the named tensor. */
    public GgmlType typeOf(String tensorName, int dimensionCount) {
        if (dimensionCount == 1) {
            return GgmlType.F32;
        }
        String role = tensorName.replaceFirst("^blk\\.\\d+\\.", "").replaceFirst("\\.weight$", "");
        return typeByRole.getOrDefault(role, defaultType);
    }

    public ModelSpec withName(String name) {
        return new ModelSpec(architecture, name, vocab, embd, layers, heads, kvHeads, ff, contextLength, defaultType,
                typeByRole, seed, slidingWindow, longRope);
    }

    public ModelSpec withVocab(int vocab) {
        return new ModelSpec(architecture, name, vocab, embd, layers, heads, kvHeads, ff, contextLength, defaultType,
                typeByRole, seed, slidingWindow, longRope);
    }

    /** Embedding width and feed-forward width (K-quants need both to be multiples of 256). */
    public ModelSpec withSize(int embd, int ff) {
        return new ModelSpec(architecture, name, vocab, embd, layers, heads, kvHeads, ff, contextLength, defaultType,
                typeByRole, seed, slidingWindow, longRope);
    }

    public ModelSpec withLayers(int layers) {
        return new ModelSpec(architecture, name, vocab, embd, layers, heads, kvHeads, ff, contextLength, defaultType,
                typeByRole, seed, slidingWindow, longRope);
    }

    public ModelSpec withHeads(int heads, int kvHeads) {
        return new ModelSpec(architecture, name, vocab, embd, layers, heads, kvHeads, ff, contextLength, defaultType,
                typeByRole, seed, slidingWindow, longRope);
    }

    public ModelSpec withContextLength(int contextLength) {
        return new ModelSpec(architecture, name, vocab, embd, layers, heads, kvHeads, ff, contextLength, defaultType,
                typeByRole, seed, slidingWindow, longRope);
    }

    /** The type of every weight matrix without a {@link #withRoleType role override}. */
    public ModelSpec withType(GgmlType defaultType) {
        return new ModelSpec(architecture, name, vocab, embd, layers, heads, kvHeads, ff, contextLength, defaultType,
                typeByRole, seed, slidingWindow, longRope);
    }

    public ModelSpec withRoleType(String role, GgmlType type) {
        Map<String, GgmlType> types = new HashMap<>(typeByRole);
        types.put(role, type);
        return new ModelSpec(architecture, name, vocab, embd, layers, heads, kvHeads, ff, contextLength, defaultType,
                types, seed, slidingWindow, longRope);
    }

    public ModelSpec withSeed(long seed) {
        return new ModelSpec(architecture, name, vocab, embd, layers, heads, kvHeads, ff, contextLength, defaultType,
                typeByRole, seed, slidingWindow, longRope);
    }

    public ModelSpec withSlidingWindow(int slidingWindow) {
        return new ModelSpec(architecture, name, vocab, embd, layers, heads, kvHeads, ff, contextLength, defaultType,
                typeByRole, seed, slidingWindow, longRope);
    }

    public ModelSpec withLongRope() {
        return new ModelSpec(architecture, name, vocab, embd, layers, heads, kvHeads, ff, contextLength, defaultType,
                typeByRole, seed, slidingWindow, true);
    }
}
