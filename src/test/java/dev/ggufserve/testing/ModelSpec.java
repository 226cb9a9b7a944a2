package dev.ggufserve.testing;

import dev.ggufserve.gguf.GgmlType;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@link RandomModels} builds: a small random-weight {@code llama}, {@code phi3}, {@code qwen2} or
 * {@code qwen3} model.
 *
 * <p>Start from {@link #llama()}, {@link #llama3()}, {@link #phi3()}, {@link #qwen2()} or {@link #qwen3()} and change what a test needs with the {@code with*} methods:
 * <pre>{@code ModelSpec.phi3().withSize(256, 512).withType(GgmlType.Q4_K).withRoleType("ffn_down", GgmlType.Q6_K)}</pre>
 *
 * @param typeByRole   weight type by tensor role, overriding {@code defaultType}; a role is the tensor name without
 *                     its {@code blk.N.} prefix and {@code .weight} suffix ("attn_qkv", "output", "token_embd").
 *                     One-dimensional tensors (norms, rope factors) are always F32, as in llama.cpp's files.
 * @param slidingWindow phi3 attention window in tokens ({@code phi3.attention.sliding_window}), 0 for none
 * @param longRope     phi3 only: add LongRoPE factors ({@code rope_factors_long/short.weight}) and scaling keys,
 *                     with an original context length of a quarter of {@code contextLength}
 * @param keyLength    head size written as {@code attention.key_length}/{@code value_length} (Qwen3's heads are
 *                     wider than embd / heads); 0 writes no key and heads are embd / heads wide
 * @param ropeDimension rotated dimensions of each head ({@code rope.dimension_count}); 0 for the whole head
 * @param tiedOutput   write no {@code output.weight}: the token embedding is the output head
 * @param ropeFreqs    llama only: add Llama 3.1-style {@code rope_freqs.weight} frequency divisors
 */
public record ModelSpec(String architecture, String name, int vocab, int embd, int layers, int heads, int kvHeads,
        int ff, int contextLength, GgmlType defaultType, Map<String, GgmlType> typeByRole, long seed,
        int slidingWindow, boolean longRope, int keyLength, int ropeDimension, boolean tiedOutput,
        boolean ropeFreqs) {

    public ModelSpec {
        if (!List.of("llama", "phi3", "qwen2", "qwen3").contains(architecture)) {
            throw new IllegalArgumentException("architecture must be llama, phi3, qwen2 or qwen3, not " + architecture);
        }
        if (keyLength == 0 && (embd % heads != 0 || (embd / heads) % 2 != 0)) {
            throw new IllegalArgumentException("embd " + embd + " must split into " + heads + " heads of even size");
        }
        int headSize = keyLength > 0 ? keyLength : embd / heads;
        if (ropeDimension % 2 != 0 || ropeDimension > headSize) {
            throw new IllegalArgumentException("rope dimension " + ropeDimension + " must be even and at most "
                    + headSize);
        }
        if (ropeFreqs && !architecture.equals("llama")) {
            throw new IllegalArgumentException("rope_freqs is a llama feature");
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
        return new ModelSpec("llama", "random-llama", 320, 64, 2, 4, 2, 128, 128, GgmlType.F32, Map.of(), 1, 0, false, 0, 0, false,
                false);
    }

    /** A phi3 model (fused qkv and gate/up tensors): 4 heads, 64-wide, 2 layers, F32. */
    public static ModelSpec phi3() {
        return new ModelSpec("phi3", "random-phi3", 320, 64, 2, 4, 4, 128, 128, GgmlType.F32, Map.of(), 1, 0, false, 0, 0, false,
                false);
    }

    /** Llama 3.x style: llama with grouped-query attention, rope_freqs and a tied output head. */
    public static ModelSpec llama3() {
        return new ModelSpec("llama", "random-llama3", 320, 64, 2, 4, 2, 128, 128, GgmlType.F32, Map.of(), 1, 0,
                false, 0, 0, true, true);
    }

    /** Qwen2.5 style: q/k/v biases, grouped-query attention, tied output head. */
    public static ModelSpec qwen2() {
        return new ModelSpec("qwen2", "random-qwen2", 320, 64, 2, 4, 2, 128, 128, GgmlType.F32, Map.of(), 1, 0,
                false, 0, 0, true, false);
    }

    /** Qwen3 style: per-head q/k norms, heads twice as wide as embd / heads, grouped-query attention, tied. */
    public static ModelSpec qwen3() {
        return new ModelSpec("qwen3", "random-qwen3", 320, 64, 2, 4, 2, 128, 128, GgmlType.F32, Map.of(), 1, 0,
                false, 32, 0, true, false);
    }

    public int headDim() {
        return keyLength > 0 ? keyLength : embd / heads;
    }

    /** Width of all query heads together. */
    public int queryDim() {
        return heads * headDim();
    }

    /** Rotated dimensions of each head. */
    public int ropeDim() {
        return ropeDimension > 0 ? ropeDimension : headDim();
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
                typeByRole, seed, slidingWindow, longRope, keyLength, ropeDimension, tiedOutput, ropeFreqs);
    }

    public ModelSpec withVocab(int vocab) {
        return new ModelSpec(architecture, name, vocab, embd, layers, heads, kvHeads, ff, contextLength, defaultType,
                typeByRole, seed, slidingWindow, longRope, keyLength, ropeDimension, tiedOutput, ropeFreqs);
    }

    /** Embedding width and feed-forward width (K-quants need both to be multiples of 256). */
    public ModelSpec withSize(int embd, int ff) {
        return new ModelSpec(architecture, name, vocab, embd, layers, heads, kvHeads, ff, contextLength, defaultType,
                typeByRole, seed, slidingWindow, longRope, keyLength, ropeDimension, tiedOutput, ropeFreqs);
    }

    public ModelSpec withLayers(int layers) {
        return new ModelSpec(architecture, name, vocab, embd, layers, heads, kvHeads, ff, contextLength, defaultType,
                typeByRole, seed, slidingWindow, longRope, keyLength, ropeDimension, tiedOutput, ropeFreqs);
    }

    public ModelSpec withHeads(int heads, int kvHeads) {
        return new ModelSpec(architecture, name, vocab, embd, layers, heads, kvHeads, ff, contextLength, defaultType,
                typeByRole, seed, slidingWindow, longRope, keyLength, ropeDimension, tiedOutput, ropeFreqs);
    }

    public ModelSpec withContextLength(int contextLength) {
        return new ModelSpec(architecture, name, vocab, embd, layers, heads, kvHeads, ff, contextLength, defaultType,
                typeByRole, seed, slidingWindow, longRope, keyLength, ropeDimension, tiedOutput, ropeFreqs);
    }

    /** The type of every weight matrix without a {@link #withRoleType role override}. */
    public ModelSpec withType(GgmlType defaultType) {
        return new ModelSpec(architecture, name, vocab, embd, layers, heads, kvHeads, ff, contextLength, defaultType,
                typeByRole, seed, slidingWindow, longRope, keyLength, ropeDimension, tiedOutput, ropeFreqs);
    }

    public ModelSpec withRoleType(String role, GgmlType type) {
        Map<String, GgmlType> types = new HashMap<>(typeByRole);
        types.put(role, type);
        return new ModelSpec(architecture, name, vocab, embd, layers, heads, kvHeads, ff, contextLength, defaultType,
                types, seed, slidingWindow, longRope, keyLength, ropeDimension, tiedOutput, ropeFreqs);
    }

    public ModelSpec withSeed(long seed) {
        return new ModelSpec(architecture, name, vocab, embd, layers, heads, kvHeads, ff, contextLength, defaultType,
                typeByRole, seed, slidingWindow, longRope, keyLength, ropeDimension, tiedOutput, ropeFreqs);
    }

    public ModelSpec withSlidingWindow(int slidingWindow) {
        return new ModelSpec(architecture, name, vocab, embd, layers, heads, kvHeads, ff, contextLength, defaultType,
                typeByRole, seed, slidingWindow, longRope, keyLength, ropeDimension, tiedOutput, ropeFreqs);
    }

    public ModelSpec withLongRope() {
        return new ModelSpec(architecture, name, vocab, embd, layers, heads, kvHeads, ff, contextLength, defaultType,
                typeByRole, seed, slidingWindow, true, keyLength, ropeDimension, tiedOutput, ropeFreqs);
    }

    /** Head size written as attention.key_length (see the record's parameters). */
    public ModelSpec withKeyLength(int keyLength) {
        return new ModelSpec(architecture, name, vocab, embd, layers, heads, kvHeads, ff, contextLength, defaultType,
                typeByRole, seed, slidingWindow, longRope, keyLength, ropeDimension, tiedOutput, ropeFreqs);
    }

    /** Partial rotary embedding: only the first {@code ropeDimension} dimensions of each head turn. */
    public ModelSpec withRopeDimension(int ropeDimension) {
        return new ModelSpec(architecture, name, vocab, embd, layers, heads, kvHeads, ff, contextLength, defaultType,
                typeByRole, seed, slidingWindow, longRope, keyLength, ropeDimension, tiedOutput, ropeFreqs);
    }

    public ModelSpec withTiedOutput() {
        return new ModelSpec(architecture, name, vocab, embd, layers, heads, kvHeads, ff, contextLength, defaultType,
                typeByRole, seed, slidingWindow, longRope, keyLength, ropeDimension, true, ropeFreqs);
    }
}
