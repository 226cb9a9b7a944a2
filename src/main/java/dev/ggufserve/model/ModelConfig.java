package dev.ggufserve.model;

import dev.ggufserve.gguf.GgufFile;
import dev.ggufserve.gguf.GgufMetadata;
import dev.ggufserve.gguf.ModelFileException;

/**
 * The hyper-parameters of a transformer, read from the GGUF metadata keys {@code <arch>.*}.
 *
 * @param headDimension          width of one attention head: {@code attention.key_length}, else embedding / heads
 * @param ropeDimension          how many leading dimensions of each head are rotated
 * @param slidingWindow          attention looks back at most this many positions; 0 means unlimited
 * @param ropeOriginalContext    LongRoPE: the context the short factors were trained for; 0 when absent
 * @param ropeAttentionFactor    LongRoPE: scale applied to the rotated q and k; 1 when absent
 */
public record ModelConfig(
        Architecture architecture,
        int vocabularySize,
        int embeddingLength,
        int blockCount,
        int headCount,
        int kvHeadCount,
        int headDimension,
        int feedForwardLength,
        int contextLength,
        float rmsNormEpsilon,
        int ropeDimension,
        float ropeFrequencyBase,
        int slidingWindow,
        int ropeOriginalContext,
        float ropeAttentionFactor) {

    /** Width of the query vector (and of the attention output) of one position: all heads together. */
    public int queryDimension() {
        return headCount * headDimension;
    }

    /** Width of the key (and value) vector of one position: all KV heads together. */
    public int kvDimension() {
        return kvHeadCount * headDimension;
    }

    public static ModelConfig read(GgufFile file) {
        GgufMetadata metadata = file.metadata();
        String archName = file.architecture();
        Architecture architecture = Architecture.byGgufName(archName).orElseThrow(() -> new ModelFileException(
                file.path(), "unsupported architecture '" + archName + "' (gguf-serve runs llama, phi3, qwen2 and"
                        + " qwen3)"));
        String p = archName + ".";
        int embedding = positive(file, p + "embedding_length", metadata.requireLong(p + "embedding_length"));
        int heads = positive(file, p + "attention.head_count", metadata.requireLong(p + "attention.head_count"));
        int kvHeads = positive(file, p + "attention.head_count_kv",
                metadata.getLong(p + "attention.head_count_kv").orElse(heads));
        if (heads % kvHeads != 0) {
            throw new ModelFileException(file.path(), "head_count " + heads + " is not a multiple of head_count_kv "
                    + kvHeads);
        }
        int headDimension = headDimension(file, p, embedding, heads);
        int ropeDimension = positive(file, p + "rope.dimension_count",
                metadata.getLong(p + "rope.dimension_count").orElse(headDimension));
        if (ropeDimension > headDimension || ropeDimension % 2 != 0) {
            throw new ModelFileException(file.path(), "rope.dimension_count " + ropeDimension
                    + " must be even and at most the head dimension " + headDimension);
        }
        refuseUnsupportedRopeScaling(file, p, architecture);
        if (architecture == Architecture.QWEN3 && ropeDimension != headDimension) {
            throw new ModelFileException(file.path(), "qwen3 rotates whole heads, but rope.dimension_count "
                    + ropeDimension + " differs from the head size " + headDimension);
        }
        int vocabulary = metadata.getStringArray("tokenizer.ggml.tokens").map(t -> t.size())
                .orElseGet(() -> vocabularyOfEmbedding(file));
        return new ModelConfig(
                architecture,
                vocabulary,
                embedding,
                positive(file, p + "block_count", metadata.requireLong(p + "block_count")),
                heads,
                kvHeads,
                headDimension,
                positive(file, p + "feed_forward_length", metadata.requireLong(p + "feed_forward_length")),
                positive(file, p + "context_length", metadata.requireLong(p + "context_length")),
                metadata.getDouble(p + "attention.layer_norm_rms_epsilon").orElse(1e-5).floatValue(),
                ropeDimension,
                metadata.getDouble(p + "rope.freq_base").orElse(10000.0).floatValue(),
                (int) metadata.getLong(p + "attention.sliding_window").orElse(0),
                (int) metadata.getLong(p + "rope.scaling.original_context_length").orElse(0),
                metadata.getDouble(p + "rope.scaling.attn_factor").orElse(1.0).floatValue());
    }

    /**
     * The head size: {@code attention.key_length} when the file sets it (Qwen3's heads are wider than embedding /
     * heads), else embedding / heads. Values are as wide as keys: a different {@code value_length} is refused.
     */
    private static int headDimension(GgufFile file, String p, int embedding, int heads) {
        GgufMetadata metadata = file.metadata();
        var keyLength = metadata.getLong(p + "attention.key_length");
        if (keyLength.isEmpty()) {
            if (embedding % heads != 0) {
                throw new ModelFileException(file.path(), "embedding_length " + embedding
                        + " does not split into head_count " + heads + " heads");
            }
            return embedding / heads;
        }
        int headDimension = positive(file, p + "attention.key_length", keyLength.getAsLong());
        long valueLength = metadata.getLong(p + "attention.value_length").orElse(headDimension);
        if (valueLength != headDimension) {
            throw new ModelFileException(file.path(), "attention.value_length " + valueLength
                    + " differs from attention.key_length " + headDimension + ", which is not supported");
        }
        return headDimension;
    }

    /**
     * Refuses the rotary scalings the engines do not compute (YaRN, linear position scaling): running without them
     * would give wrong answers silently. LongRoPE (phi3's factor tensors) and Llama 3.1's rope_freqs need no key.
     */
    private static void refuseUnsupportedRopeScaling(GgufFile file, String p, Architecture architecture) {
        GgufMetadata metadata = file.metadata();
        String type = metadata.getString(p + "rope.scaling.type").orElse("none");
        double factor = metadata.getDouble(p + "rope.scaling.factor").orElse(1.0);
        boolean supported = type.equals("none") || (type.equals("longrope") && architecture == Architecture.PHI3)
                || (type.equals("linear") && factor == 1.0);
        if (!supported) {
            throw new ModelFileException(file.path(), "rope.scaling.type '" + type + "' (factor " + factor
                    + ") is not supported; gguf-serve computes plain RoPE, Llama 3.1's rope_freqs and phi3's LongRoPE");
        }
        if (metadata.getDouble(p + "rope.scale_linear").orElse(1.0) != 1.0) {
            throw new ModelFileException(file.path(), "rope.scale_linear "
                    + metadata.getDouble(p + "rope.scale_linear").orElseThrow() + " is not supported");
        }
    }

    /** Without a vocabulary in the metadata, the rows of the token embedding ([embedding, vocabulary]). */
    private static int vocabularyOfEmbedding(GgufFile file) {
        long[] dims = file.requireTensor("token_embd.weight").dims();
        if (dims.length != 2) {
            throw new ModelFileException(file.path(), "tensor 'token_embd.weight' has " + dims.length
                    + " dimensions but must have 2 (embedding, vocabulary)");
        }
        return Math.toIntExact(dims[1]);
    }

    private static int positive(GgufFile file, String key, long value) {
        if (value <= 0 || value > Integer.MAX_VALUE) {
            throw new ModelFileException(file.path(), "metadata key '" + key + "' is " + value
                    + ", expected a positive 32-bit number");
        }
        return (int) value;
    }
}
