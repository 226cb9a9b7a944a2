package dev.ggufserve.testing;

import dev.ggufserve.gguf.GgmlType;
import dev.ggufserve.gguf.GgufFile;
import dev.ggufserve.gguf.GgufMetadata;
import dev.ggufserve.gguf.GgufValueType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * Writes the benchmark model: a full-size Phi-3-mini-shaped GGUF (32 layers, 3072 wide, 8192 feed-forward, 32 heads,
 * Phi-3's 32064-token vocabulary, copied from a vocabulary-only GGUF when one is given so the server can tokenize)
 * with random weights in llama.cpp's Q4_K_M mix:
 * Q4_K, with Q5_K attn_qkv, Q6_K output and Q6_K ffn_down on the layers llama.cpp's {@code use_more_bits} picks.
 * The file is 2.39 GB, like Microsoft's Phi-3-mini-4k-instruct-q4.gguf.
 *
 * <p>Quantizing 3.8 billion gaussian floats with {@link Quantizer} would take many minutes, so the blocks are drawn
 * directly: uniformly random quants, and scales chosen so each weight has mean about 0 and the standard deviation
 * {@link RandomModels} uses (1/sqrt(row length), 2/sqrt(embd) for the output head). Activations then keep unit
 * scale through the layers and the logits spread over many tokens.
 *
 * <pre>
 * usage: WritePhi3MiniModel OUTPUT.gguf [VOCABULARY.gguf]
 * java -cp target/test-classes:target/classes dev.ggufserve.testing.WritePhi3MiniModel \
 *     /tmp/phi3-mini-q4_k_m.gguf ../shared/fixtures/ggml-vocab-phi-3.gguf
 * </pre>
 */
public final class WritePhi3MiniModel {

    static final int LAYERS = 32;
    static final int EMBD = 3072;
    static final int FF = 8192;
    static final int HEADS = 32;
    static final int CONTEXT = 4096;
    /** Phi-3's vocabulary size, the rows of token_embd and output when no vocabulary file is given. */
    static final int PHI3_VOCABULARY = 32064;

    private WritePhi3MiniModel() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: WritePhi3MiniModel OUTPUT.gguf [VOCABULARY.gguf]");
            System.exit(2);
        }
        Path output = write(Path.of(args[0]), args.length == 2 ? Optional.of(Path.of(args[1])) : Optional.empty());
        System.out.println(output + " " + Files.size(output) + " bytes");
    }

    /**
     * Writes the model to {@code output}. Without a vocabulary file the model has no tokenizer metadata: enough for
     * the engines (they take the vocabulary size from token_embd), not for the server.
     */
    public static Path write(Path output, Optional<Path> vocabularyFile) {
        GgufWriter writer = new GgufWriter()
                .putString("general.architecture", "phi3")
                .putString("general.name", "phi3-mini-shaped-q4_k_m-random")
                .alignment(32)
                .putUint32("phi3.context_length", CONTEXT)
                .putUint32("phi3.embedding_length", EMBD)
                .putUint32("phi3.block_count", LAYERS)
                .putUint32("phi3.feed_forward_length", FF)
                .putUint32("phi3.attention.head_count", HEADS)
                .putUint32("phi3.attention.head_count_kv", HEADS)
                .putFloat32("phi3.attention.layer_norm_rms_epsilon", 1e-5f)
                .putUint32("phi3.rope.dimension_count", EMBD / HEADS)
                .putFloat32("phi3.rope.freq_base", 10000f);
        int vocab = PHI3_VOCABULARY;
        if (vocabularyFile.isPresent()) {
            try (GgufFile vocabulary = GgufFile.open(vocabularyFile.get())) {
                vocab = copyTokenizer(vocabulary.metadata(), writer);
            }
        }
        SplittableRandom seeds = new SplittableRandom(2024);
        addMatrix(writer, "token_embd.weight", GgmlType.Q4_K, EMBD, vocab, 1, seeds);
        for (int layer = 0; layer < LAYERS; layer++) {
            String block = "blk." + layer + ".";
            addNorm(writer, block + "attn_norm.weight", seeds);
            addMatrix(writer, block + "attn_qkv.weight", GgmlType.Q5_K, EMBD, 3 * EMBD, 1, seeds);
            addMatrix(writer, block + "attn_output.weight", GgmlType.Q4_K, EMBD, EMBD, 1, seeds);
            addNorm(writer, block + "ffn_norm.weight", seeds);
            addMatrix(writer, block + "ffn_up.weight", GgmlType.Q4_K, EMBD, 2 * FF, 1, seeds);
            GgmlType down = useMoreBits(layer) ? GgmlType.Q6_K : GgmlType.Q4_K;
            addMatrix(writer, block + "ffn_down.weight", down, FF, EMBD, 1, seeds);
        }
        addNorm(writer, "output_norm.weight", seeds);
        addMatrix(writer, "output.weight", GgmlType.Q6_K, EMBD, vocab, 2, seeds);
        writer.write(output);
        return output;
    }

    /** llama.cpp's use_more_bits (llama-quant.cpp): the first and last eighth of the layers, and every third between. */
    static boolean useMoreBits(int layer) {
        return layer < LAYERS / 8 || layer >= 7 * LAYERS / 8 || (layer - LAYERS / 8) % 3 == 2;
    }

    /** Copies the tokenizer.* keys (SentencePiece vocabulary, scores, types, special ids, chat template). */
    private static int copyTokenizer(GgufMetadata metadata, GgufWriter writer) {
        int vocab = 0;
        for (String key : metadata.keys()) {
            if (!key.startsWith("tokenizer.")) {
                continue;
            }
            Object value = metadata.get(key).orElseThrow();
            switch (value) {
                case String text -> writer.putString(key, text);
                case Boolean flag -> writer.putBool(key, flag);
                case Long number -> writer.putUint32(key, number);
                case Double number -> writer.putFloat32(key, number.floatValue());
                case List<?> list when list.isEmpty() -> { }
                case List<?> list -> {
                    if (key.equals("tokenizer.ggml.tokens")) {
                        vocab = list.size();
                    }
                    Object first = list.getFirst();
                    GgufValueType type = first instanceof String ? GgufValueType.STRING
                            : first instanceof Double ? GgufValueType.FLOAT32 : GgufValueType.INT32;
                    writer.putArray(key, type, list);
                }
                default -> throw new IllegalStateException("unexpected metadata value for " + key + ": " + value);
            }
        }
        if (vocab == 0) {
            throw new IllegalStateException("the vocabulary file has no tokenizer.ggml.tokens");
        }
        return vocab;
    }

    private static void addNorm(GgufWriter writer, String name, SplittableRandom seeds) {
        SplittableRandom random = seeds.split();
        float[] weights = new float[EMBD];
        for (int i = 0; i < EMBD; i++) {
            weights[i] = (float) (1 + 0.1 * random.nextGaussian());
        }
        writer.addTensor(name, GgmlType.F32, new long[] {EMBD}, weights);
    }

    /** A rows x cols matrix of random blocks whose weights have standard deviation {@code scale / sqrt(cols)}. */
    private static void addMatrix(GgufWriter writer, String name, GgmlType type, int cols, int rows, double scale,
            SplittableRandom seeds) {
        SplittableRandom random = seeds.split();
        double deviation = scale / Math.sqrt(cols);
        int blocksPerRow = cols / 256;
        writer.addGeneratedTensor(name, type, new long[] {cols, rows}, out -> {
            byte[] row = new byte[Math.toIntExact(type.bytesFor(cols))];
            int blockBytes = row.length / blocksPerRow;
            for (int r = 0; r < rows; r++) {
                for (int b = 0; b < blocksPerRow; b++) {
                    randomBlock(type, random, deviation, row, b * blockBytes);
                }
                out.write(row);
            }
        });
    }

    /** The bytes of a random rows x cols matrix as {@link #main} writes them (for kernel benchmarks). */
    public static byte[] randomMatrix(GgmlType type, int rows, int cols, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        byte[] bytes = new byte[Math.toIntExact(type.bytesFor((long) rows * cols))];
        int blockBytes = (int) type.bytesFor(256);
        for (int at = 0; at < bytes.length; at += blockBytes) {
            randomBlock(type, random, 1 / Math.sqrt(cols), bytes, at);
        }
        return bytes;
    }

    /**
     * One random super-block. Q4_K/Q5_K (ggml-common.h: f16 d, f16 dmin, scales[12], [qh[32]], qs[128]): weight =
     * d * sc * q - dmin * m; with m = sc and dmin = d * (levels - 1) / 2 that is d * sc * (q - (levels - 1) / 2),
     * centred on 0. Q6_K (ql[128], qh[64], int8 scales[16], f16 d): weight = d * sc * (q - 32), about centred.
     * A uniform q over n levels has standard deviation sqrt((n^2 - 1) / 12); d is set from the average scale.
     */
    private static void randomBlock(GgmlType type, SplittableRandom random, double deviation, byte[] out, int at) {
        int blockBytes = (int) type.bytesFor(256);
        fillRandom(random, out, at, blockBytes);
        if (type == GgmlType.Q6_K) {
            double meanScale = 96;
            double d = deviation / (meanScale * Math.sqrt((64 * 64 - 1) / 12.0));
            for (int i = 0; i < 16; i++) {
                out[at + 192 + i] = (byte) random.nextInt(64, 128);
            }
            putFloat16(out, at + 208, (float) d);
            return;
        }
        int levels = type == GgmlType.Q4_K ? 16 : 32;
        double meanScale = 48;
        double d = deviation / (meanScale * Math.sqrt((levels * levels - 1) / 12.0));
        int[] scales = new int[8];
        for (int i = 0; i < 8; i++) {
            scales[i] = random.nextInt(32, 64);
        }
        putFloat16(out, at, (float) d);
        putFloat16(out, at + 2, (float) (d * (levels - 1) / 2));
        System.arraycopy(Quantizer.packScalesAndMins(scales, scales), 0, out, at + 4, 12);
    }

    private static void fillRandom(SplittableRandom random, byte[] out, int at, int length) {
        for (int i = 0; i < length; i += 8) {
            long bits = random.nextLong();
            for (int j = 0; j < 8 && i + j < length; j++) {
                out[at + i + j] = (byte) (bits >>> (8 * j));
            }
        }
    }

    private static void putFloat16(byte[] out, int at, float value) {
        short bits = Float.floatToFloat16(value);
        out[at] = (byte) bits;
        out[at + 1] = (byte) (bits >>> 8);
    }
}
