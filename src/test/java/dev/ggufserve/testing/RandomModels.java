package dev.ggufserve.testing;

import dev.ggufserve.gguf.GgmlType;
import dev.ggufserve.gguf.GgufMetadata;

import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.SequencedSet;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Builds small random-weight GGUF models that llama.cpp can load, byte-identical on every run for the same
 * {@link ModelSpec} (one {@link SplittableRandom} seeded from the spec draws every weight in a fixed order), so
 * reference answers computed once for a model stay valid.
 *
 * <p>Weights are N(0, 1/sqrt(row length)), so every matrix-vector product keeps roughly unit scale, and the output
 * head N(0, 2/sqrt(embd)), which gives logits a standard deviation of about 2: probabilities spread over many
 * tokens instead of collapsing onto one. Norm weights are 1 + N(0, 0.1). The same seed and shapes give the same
 * float weights whatever the weight types, so models differing only in type can be compared.
 */
public final class RandomModels {

    /** SentencePiece token types (llama.cpp {@code llama_token_type}). */
    private static final int NORMAL = 1;
    private static final int UNKNOWN = 2;
    private static final int CONTROL = 3;
    private static final int BYTE = 6;
    /** {@code <unk>}, {@code <s>}, {@code </s>} and the 256 byte tokens come before the ordinary pieces. */
    private static final int FIRST_PIECE_ID = 3 + 256;
    /**
     * Phi-3's chat control tokens, at the end of its vocabulary as in the real model. llama.cpp refuses to load a
     * phi3 vocabulary without {@code <|endoftext|>}.
     */
    private static final List<String> PHI3_CONTROL_TOKENS =
            List.of("<|endoftext|>", "<|assistant|>", "<|system|>", "<|end|>", "<|user|>");

    private RandomModels() {
    }

    /**
     * The named models the reference tools and engine tests use; the K-quant ones are 256 wide because K-quant
     * rows must be multiples of 256.
     */
    public static Map<String, ModelSpec> standardModels() {
        ModelSpec llama = ModelSpec.llama();
        ModelSpec llamaK = llama.withSize(256, 512);
        ModelSpec phi3 = ModelSpec.phi3();
        Map<String, ModelSpec> models = new LinkedHashMap<>();
        models.put("llama-f32", llama);
        models.put("llama-f16", llama.withType(GgmlType.F16));
        models.put("llama-bf16", llama.withType(GgmlType.BF16));
        models.put("llama-q8_0", llama.withType(GgmlType.Q8_0));
        models.put("llama-q4_0", llama.withType(GgmlType.Q4_0));
        models.put("llama-q6_k", llamaK.withType(GgmlType.Q6_K));
        models.put("llama-q5_k", llamaK.withType(GgmlType.Q5_K));
        models.put("phi3-f32", phi3);
        // The mix of llama.cpp's Q4_K_M: Q4_K, with more bits where quantization error hurts most.
        models.put("phi3-q4_k_m", phi3.withSize(256, 512).withType(GgmlType.Q4_K)
                .withRoleType("attn_qkv", GgmlType.Q5_K)
                .withRoleType("output", GgmlType.Q6_K)
                .withRoleType("ffn_down", GgmlType.Q6_K));
        models.put("phi3-sliding", phi3.withSlidingWindow(8));
        models.put("phi3-longrope", phi3.withContextLength(256).withLongRope());
        // Byte-level-BPE-era families: grouped-query attention and a tied output head in each. The Q4_K_M mixes
        // store the tied token embedding as Q6_K, as llama.cpp's Q4_K_M files do.
        ModelSpec llama3 = ModelSpec.llama3();
        models.put("llama3-f32", llama3);
        models.put("llama3-q4_k_m", llama3.withSize(256, 512).withType(GgmlType.Q4_K)
                .withRoleType("token_embd", GgmlType.Q6_K).withRoleType("attn_v", GgmlType.Q6_K)
                .withRoleType("ffn_down", GgmlType.Q6_K));
        ModelSpec qwen2 = ModelSpec.qwen2();
        models.put("qwen2-f32", qwen2);
        models.put("qwen2-q8_0", qwen2.withType(GgmlType.Q8_0));
        ModelSpec qwen3 = ModelSpec.qwen3();
        models.put("qwen3-f32", qwen3);
        models.put("qwen3-q4_k_m", qwen3.withSize(256, 512).withKeyLength(128).withType(GgmlType.Q4_K)
                .withRoleType("token_embd", GgmlType.Q6_K).withRoleType("ffn_down", GgmlType.Q6_K));
        // Phi-3.5-mini / Phi-4-mini shape: grouped-query attention, a quarter of each head not rotated, LongRoPE
        // factors over the rotated pairs only, tied output head (Phi-4-mini's).
        models.put("phi3-partial-rotary", phi3.withHeads(4, 2).withRopeDimension(12).withContextLength(256)
                .withLongRope().withTiedOutput());
        models.replaceAll((name, spec) -> spec.withName(name));
        return models;
    }

    public static byte[] toBytes(ModelSpec spec) {
        return writer(spec).toBytes();
    }

    public static Path write(ModelSpec spec, Path file) {
        return writer(spec).write(file);
    }

    /** Hex SHA-256 of the model's bytes, to pin reference answers to the exact file they were computed on. */
    public static String sha256(ModelSpec spec) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(toBytes(spec)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    public static GgufWriter writer(ModelSpec spec) {
        return writer(spec, writer -> addTokenizer(writer, spec));
    }

    /**
     * A model with a real vocabulary: every {@code tokenizer.*} key of {@code vocabulary} (a vocabulary-only GGUF
     * such as llama.cpp's ggml-vocab-qwen2.gguf), its size taken as the spec's, and {@code chatTemplate} when
     * given (overriding the vocabulary's own).
     */
    public static GgufWriter writer(ModelSpec spec, GgufMetadata vocabulary, String chatTemplate) {
        int size = vocabulary.getStringArray("tokenizer.ggml.tokens").orElseThrow().size();
        return writer(spec.withVocab(size), writer -> {
            for (String key : vocabulary.keys().stream().sorted().toList()) {
                if (key.startsWith("tokenizer.") && !(chatTemplate != null && key.equals("tokenizer.chat_template"))) {
                    copyKey(writer, key, vocabulary.get(key).orElseThrow());
                }
            }
            if (chatTemplate != null) {
                writer.putString("tokenizer.chat_template", chatTemplate);
            }
        });
    }

    /** A tokenizer key with the GGUF type llama.cpp expects for it. */
    private static void copyKey(GgufWriter writer, String key, Object value) {
        switch (value) {
            case String text -> writer.putString(key, text);
            case Boolean flag -> writer.putBool(key, flag);
            case Number number -> writer.putUint32(key, number.longValue());
            case List<?> list when !list.isEmpty() && list.getFirst() instanceof String ->
                    writer.putStringArray(key, list.stream().map(String.class::cast).toList());
            case List<?> list when key.equals("tokenizer.ggml.scores") -> {
                float[] scores = new float[list.size()];
                for (int i = 0; i < scores.length; i++) {
                    scores[i] = ((Number) list.get(i)).floatValue();
                }
                writer.putFloat32Array(key, scores);
            }
            case List<?> list -> writer.putInt32Array(key, list.stream().mapToInt(n -> ((Number) n).intValue()).toArray());
            default -> throw new IllegalArgumentException("cannot copy " + key + " of " + value.getClass());
        }
    }

    private static GgufWriter writer(ModelSpec spec, Consumer<GgufWriter> tokenizer) {
        String arch = spec.architecture();
        int kvDim = spec.kvHeads() * spec.headDim();
        int qDim = spec.queryDim();
        GgufWriter writer = new GgufWriter()
                .putString("general.architecture", arch)
                .putString("general.name", spec.name())
                .alignment(32)
                .putUint32(arch + ".context_length", spec.contextLength())
                .putUint32(arch + ".embedding_length", spec.embd())
                .putUint32(arch + ".block_count", spec.layers())
                .putUint32(arch + ".feed_forward_length", spec.ff())
                .putUint32(arch + ".attention.head_count", spec.heads())
                .putUint32(arch + ".attention.head_count_kv", spec.kvHeads())
                .putFloat32(arch + ".attention.layer_norm_rms_epsilon", 1e-5f)
                .putUint32(arch + ".rope.dimension_count", spec.ropeDim())
                .putFloat32(arch + ".rope.freq_base", 10000f);
        if (spec.keyLength() > 0) {
            writer.putUint32(arch + ".attention.key_length", spec.keyLength())
                    .putUint32(arch + ".attention.value_length", spec.keyLength());
        }
        if (spec.slidingWindow() > 0) {
            writer.putUint32(arch + ".attention.sliding_window", spec.slidingWindow());
        }
        if (spec.longRope()) {
            int originalContext = spec.contextLength() / 4;
            double scale = (double) spec.contextLength() / originalContext;
            // Phi-3's LongRoPE attention factor: sqrt(1 + ln(scale) / ln(original context length)).
            float attnFactor = (float) Math.sqrt(1 + Math.log(scale) / Math.log(originalContext));
            writer.putUint32(arch + ".rope.scaling.original_context_length", originalContext)
                    .putFloat32(arch + ".rope.scaling.attn_factor", attnFactor);
        }
        tokenizer.accept(writer);

        Weights weights = new Weights(writer, spec, new SplittableRandom(spec.seed()));
        weights.matrix("token_embd.weight", spec.embd(), spec.vocab());
        if (spec.longRope()) {
            int pairs = spec.ropeDim() / 2;
            float[] longFactors = new float[pairs];
            float[] shortFactors = new float[pairs];
            for (int i = 0; i < pairs; i++) {
                longFactors[i] = 1f + 0.25f * i;
                shortFactors[i] = 1f + 0.02f * i;
            }
            writer.addTensor("rope_factors_long.weight", GgmlType.F32, new long[] {pairs}, longFactors);
            writer.addTensor("rope_factors_short.weight", GgmlType.F32, new long[] {pairs}, shortFactors);
        }
        if (spec.ropeFreqs()) {
            // Llama 3.1's divisors grow from 1 for the fastest-turning pairs to 8 for the slowest.
            int pairs = spec.ropeDim() / 2;
            float[] factors = new float[pairs];
            for (int i = 0; i < pairs; i++) {
                factors[i] = 1f + 7f * i / (pairs - 1);
            }
            writer.addTensor("rope_freqs.weight", GgmlType.F32, new long[] {pairs}, factors);
        }
        for (int layer = 0; layer < spec.layers(); layer++) {
            String block = "blk." + layer + ".";
            weights.norm(block + "attn_norm.weight");
            if (arch.equals("phi3")) {
                // One fused matrix: the q rows, then k, then v.
                weights.matrix(block + "attn_qkv.weight", spec.embd(), qDim + 2 * kvDim);
            } else {
                weights.matrix(block + "attn_q.weight", spec.embd(), qDim);
                weights.matrix(block + "attn_k.weight", spec.embd(), kvDim);
                weights.matrix(block + "attn_v.weight", spec.embd(), kvDim);
            }
            if (arch.equals("qwen2")) {
                weights.bias(block + "attn_q.bias", qDim);
                weights.bias(block + "attn_k.bias", kvDim);
                weights.bias(block + "attn_v.bias", kvDim);
            }
            if (arch.equals("qwen3")) {
                weights.norm(block + "attn_q_norm.weight", spec.headDim());
                weights.norm(block + "attn_k_norm.weight", spec.headDim());
            }
            weights.matrix(block + "attn_output.weight", qDim, spec.embd());
            weights.norm(block + "ffn_norm.weight");
            if (arch.equals("phi3")) {
                // One fused matrix: the gate rows, then the up rows.
                weights.matrix(block + "ffn_up.weight", spec.embd(), 2 * spec.ff());
            } else {
                weights.matrix(block + "ffn_gate.weight", spec.embd(), spec.ff());
                weights.matrix(block + "ffn_up.weight", spec.embd(), spec.ff());
            }
            weights.matrix(block + "ffn_down.weight", spec.ff(), spec.embd());
        }
        weights.norm("output_norm.weight");
        if (!spec.tiedOutput()) {
            weights.output("output.weight", spec.embd(), spec.vocab());
        }
        return writer;
    }

    /** Draws weights in call order from one generator and adds them to the writer with the spec's types. */
    private record Weights(GgufWriter writer, ModelSpec spec, SplittableRandom random) {

        void matrix(String name, int rowLength, int rows) {
            add(name, new long[] {rowLength, rows}, 1 / Math.sqrt(rowLength), 0);
        }

        void output(String name, int rowLength, int rows) {
            add(name, new long[] {rowLength, rows}, 2 / Math.sqrt(rowLength), 0);
        }

        void norm(String name) {
            norm(name, spec.embd());
        }

        void norm(String name, int length) {
            add(name, new long[] {length}, 0.1, 1);
        }

        /** Biases N(0, 0.5): large enough to move the attention scores visibly. */
        void bias(String name, int length) {
            add(name, new long[] {length}, 0.5, 0);
        }

        private void add(String name, long[] dims, double deviation, double mean) {
            float[] values = new float[Math.toIntExact(dims[0] * (dims.length > 1 ? dims[1] : 1))];
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) (mean + deviation * random.nextGaussian());
            }
            writer.addTensor(name, spec.typeOf(name, dims.length), dims, values);
        }
    }

    /**
     * A synthetic SentencePiece vocabulary: {@code <unk>}, {@code <s>}, {@code </s>}, the 256 byte-fallback tokens
     * {@code <0x00>}..{@code <0xFF>}, then ordinary pieces (common words, letters, letter pairs) with decreasing
     * scores, as llama.cpp's "llama" tokenizer expects; phi3 models end with its chat control tokens.
     */
    private static void addTokenizer(GgufWriter writer, ModelSpec spec) {
        int vocab = spec.vocab();
        List<String> controlTokens = spec.architecture().equals("phi3") ? PHI3_CONTROL_TOKENS : List.of();
        List<String> pieces = ordinaryPieces(vocab - FIRST_PIECE_ID - controlTokens.size());
        List<String> tokens = new ArrayList<>(vocab);
        float[] scores = new float[vocab];
        int[] types = new int[vocab];
        tokens.addAll(List.of("<unk>", "<s>", "</s>"));
        types[0] = UNKNOWN;
        types[1] = CONTROL;
        types[2] = CONTROL;
        for (int b = 0; b < 256; b++) {
            tokens.add(String.format("<0x%02X>", b));
            types[3 + b] = BYTE;
        }
        for (int i = 0; i < pieces.size(); i++) {
            tokens.add(pieces.get(i));
            scores[FIRST_PIECE_ID + i] = -i;
            types[FIRST_PIECE_ID + i] = NORMAL;
        }
        for (String controlToken : controlTokens) {
            types[tokens.size()] = CONTROL;
            tokens.add(controlToken);
        }
        writer.putString("tokenizer.ggml.model", "llama")
                .putStringArray("tokenizer.ggml.tokens", tokens)
                .putFloat32Array("tokenizer.ggml.scores", scores)
                .putInt32Array("tokenizer.ggml.token_type", types)
                .putUint32("tokenizer.ggml.bos_token_id", 1)
                .putUint32("tokenizer.ggml.eos_token_id", 2)
                .putUint32("tokenizer.ggml.unknown_token_id", 0)
                .putBool("tokenizer.ggml.add_bos_token", true);
    }

    private static List<String> ordinaryPieces(int count) {
        if (count < 0) {
            throw new IllegalArgumentException("vocabulary too small for the special and byte tokens");
        }
        SequencedSet<String> pieces = new LinkedHashSet<>(List.of("▁", "▁the", "▁a", "▁of", "▁and", "▁to", "▁in",
                "▁is", "▁it", "▁that", "▁was", "▁for", "▁on", "▁with", "▁he", "▁she", "▁they", "▁you", "▁I"));
        for (char c = 'a'; c <= 'z'; c++) {
            pieces.add(String.valueOf(c));
            pieces.add("▁" + c);
        }
        for (char first = 'a'; first <= 'z' && pieces.size() < count; first++) {
            for (char second = 'a'; second <= 'z'; second++) {
                pieces.add("" + first + second);
                pieces.add("▁" + first + second);
            }
        }
        if (pieces.size() < count) {
            throw new IllegalArgumentException("vocabulary too large for the synthetic tokenizer: at most "
                    + pieces.size() + " ordinary pieces");
        }
        return List.copyOf(pieces).subList(0, count);
    }
}
