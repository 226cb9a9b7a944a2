package dev.ggufserve.model;

import dev.ggufserve.gguf.GgufFile;
import dev.ggufserve.gguf.GgufMetadata;
import dev.ggufserve.gguf.ModelFileException;

/**
 * The hyper-parameters of a transformer, read from the GGUF metadata keys {@code <arch>.*}.
 *
 * @param headDimension          width of one attention head (embedding / heads)
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

    /** Width of the key (and value) vector of one position: all KV heads together. */
    public int kvDimension() {
        return kvHeadCount * headDimension;
    }

    public static ModelConfig read(GgufFile file) {
        GgufMetadata metadata = file.metadata();
        String archName = file.architecture();
        Architecture architecture = Architecture.byGgufName(archName).orElseThrow(() -> new ModelFileException(
                file.path(), "unsupported architecture '" + archName + "' (gguf-serve runs llama and phi3)"));
        String p = archName + ".";
        int embedding = positive(file, p + "embedding_length", metadata.requireLong(p + "embedding_length"));
        int heads = positive(file, p + "attention.head_count", metadata.requireLong(p + "attention.head_count"));
        int kvHeads = positive(file, p + "attention.head_count_kv",
                metadata.getLong(p + "attention.head_count_kv").orElse(heads));
        if (embedding % heads != 0 || heads % kvHeads != 0) {
            throw new ModelFileException(file.path(), "embedding_length " + embedding + ", head_count " + heads
                    + " and head_count_kv " + kvHeads + " do not divide evenly");
        }
        int headDimension = embedding / heads;
        int ropeDimension = positive(file, p + "rope.dimension_count",
                metadata.getLong(p + "rope.dimension_count").orElse(headDimension));
        if (ropeDimension > headDimension || ropeDimension % 2 != 0) {
            throw new ModelFileException(file.path(), "rope.dimension_count " + ropeDimension
                    + " must be even and at most the head dimension " + headDimension);
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
