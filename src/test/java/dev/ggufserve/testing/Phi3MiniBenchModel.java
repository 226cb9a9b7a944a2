package dev.ggufserve.testing;

import dev.ggufserve.gguf.GgmlType;
import dev.ggufserve.gguf.GgufValueType;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Writes a benchmark model: full-size Phi-3-mini shape (32 layers, 3072 wide, 8192 feed-forward, 32 heads of
 * 96, 32064-token vocabulary) with random weights in llama.cpp's Q4_K_M mix (Q4_K; Q5_K attn_qkv; Q6_K output
 * and the ffn_down of the layers llama.cpp's use_more_bits picks), about 2.4 GB. It has no tokenizer: the
 * engines take the vocabulary size from token_embd.
 *
 * <p>The file is too large for {@link GgufWriter} (one byte array), so the tensor data is streamed. Blocks are
 * drawn directly instead of quantizing 3.8 billion floats: random quants and scale bytes, with the f16 block
 * scales set so that each weight has mean about 0 and standard deviation 1/sqrt(row length) (2/sqrt(embd) for
 * the output head), as {@link RandomModels} draws them; activations keep unit scale through the layers.
 *
 * <pre>
 * java -cp target/classes:target/test-classes dev.ggufserve.testing.Phi3MiniBenchModel /tmp/phi3-mini-q4_k_m.gguf
 * </pre>
 */
public final class Phi3MiniBenchModel {

    static final int LAYERS = 32;
    static final int EMBD = 3072;
    static final int FF = 8192;
    static final int HEADS = 32;
    static final int VOCAB = 32064;
    static final int CONTEXT = 4096;
    private static final int ALIGNMENT = 32;

    private record Tensor(String name, GgmlType type, long cols, long rows, double deviation) {
        long bytes() {
            return type.bytesFor(cols * rows);
        }
    }

    private Phi3MiniBenchModel() {
    }

    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: Phi3MiniBenchModel OUTPUT.gguf");
            System.exit(2);
        }
        Path file = write(Path.of(args[0]));
        System.out.println(file);
    }

    public static Path write(Path file) {
        List<Tensor> tensors = tensors();
        LittleEndianOutput header = new LittleEndianOutput();
        header.u8('G').u8('G').u8('U').u8('F').u32(3).u64(tensors.size()).u64(11);
        header.string("general.architecture").u32(GgufValueType.STRING.id()).string("phi3");
        header.string("general.name").u32(GgufValueType.STRING.id()).string("phi3-mini-shaped-q4_k_m-random");
        header.string("general.alignment").u32(GgufValueType.UINT32.id()).u32(ALIGNMENT);
        uint32(header, "phi3.context_length", CONTEXT);
        uint32(header, "phi3.embedding_length", EMBD);
        uint32(header, "phi3.block_count", LAYERS);
        uint32(header, "phi3.feed_forward_length", FF);
        uint32(header, "phi3.attention.head_count", HEADS);
        uint32(header, "phi3.attention.head_count_kv", HEADS);
        uint32(header, "phi3.rope.dimension_count", EMBD / HEADS);
        header.string("phi3.attention.layer_norm_rms_epsilon").u32(GgufValueType.FLOAT32.id()).f32(1e-5f);
        long offset = 0;
        for (Tensor tensor : tensors) {
            header.string(tensor.name());
            if (tensor.rows() == 1) {
                header.u32(1).u64(tensor.cols());
            } else {
                header.u32(2).u64(tensor.cols()).u64(tensor.rows());
            }
            header.u32(tensor.type().id()).u64(offset);
            offset = alignUp(offset + tensor.bytes());
        }
        header.padTo(ALIGNMENT);
        SplittableRandom seeds = new SplittableRandom(2024);
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            out.write(header.toByteArray());
            for (Tensor tensor : tensors) {
                writeTensor(out, tensor, seeds.split());
                out.write(new byte[Math.toIntExact(alignUp(tensor.bytes()) - tensor.bytes())]);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    /** The tensors in file order (the order llama.cpp writes them). */
    private static List<Tensor> tensors() {
        List<Tensor> tensors = new ArrayList<>();
        tensors.add(new Tensor("token_embd.weight", GgmlType.Q4_K, EMBD, VOCAB, 1 / Math.sqrt(EMBD)));
        for (int layer = 0; layer < LAYERS; layer++) {
            String b = "blk." + layer + ".";
            tensors.add(new Tensor(b + "attn_norm.weight", GgmlType.F32, EMBD, 1, 0.1));
            tensors.add(new Tensor(b + "attn_qkv.weight", GgmlType.Q5_K, EMBD, 3L * EMBD, 1 / Math.sqrt(EMBD)));
            tensors.add(new Tensor(b + "attn_output.weight", GgmlType.Q4_K, EMBD, EMBD, 1 / Math.sqrt(EMBD)));
            tensors.add(new Tensor(b + "ffn_norm.weight", GgmlType.F32, EMBD, 1, 0.1));
            tensors.add(new Tensor(b + "ffn_up.weight", GgmlType.Q4_K, EMBD, 2L * FF, 1 / Math.sqrt(EMBD)));
            tensors.add(new Tensor(b + "ffn_down.weight", useMoreBits(layer) ? GgmlType.Q6_K : GgmlType.Q4_K, FF, EMBD,
                    1 / Math.sqrt(FF)));
        }
        tensors.add(new Tensor("output_norm.weight", GgmlType.F32, EMBD, 1, 0.1));
        tensors.add(new Tensor("output.weight", GgmlType.Q6_K, EMBD, VOCAB, 2 / Math.sqrt(EMBD)));
        return tensors;
    }

    /** llama.cpp's use_more_bits (llama-quant.cpp): the first and last eighth of the layers, every third between. */
    private static boolean useMoreBits(int layer) {
        return layer < LAYERS / 8 || layer >= 7 * LAYERS / 8 || (layer - LAYERS / 8) % 3 == 2;
    }

    /** Norms are F32 1 + N(0, deviation); matrices random blocks, one row at a time. */
    private static void writeTensor(OutputStream out, Tensor tensor, SplittableRandom random) throws IOException {
        if (tensor.type() == GgmlType.F32) {
            ByteBuffer values = ByteBuffer.allocate(Math.toIntExact(tensor.bytes())).order(ByteOrder.LITTLE_ENDIAN);
            for (long i = 0; i < tensor.cols(); i++) {
                values.putFloat((float) (1 + tensor.deviation() * random.nextGaussian()));
            }
            out.write(values.array());
            return;
        }
        byte[] row = new byte[Math.toIntExact(tensor.type().bytesFor(tensor.cols()))];
        ByteBuffer view = ByteBuffer.wrap(row).order(ByteOrder.LITTLE_ENDIAN);
        int blockBytes = tensor.type().blockBytes();
        for (long r = 0; r < tensor.rows(); r++) {
            random.nextBytes(row);
            for (int at = 0; at < row.length; at += blockBytes) {
                setScales(view, at, tensor.type(), tensor.deviation());
            }
            out.write(row);
        }
    }

    /**
     * Sets the f16 scales of the block at {@code at} (its quants and 6/8-bit sub-block scales stay random).
     * Q4_K/Q5_K weight = d * sc * q - dmin * m with sc, m uniform in 0..63: dmin = d * mean(q) centres the
     * weights, and d = deviation / 258 (4-bit q) or / 527 (5-bit q) gives them the wanted spread.
     * Q6_K weight = d * sc * (q - 32) with sc uniform in -128..127: d = deviation / 1366.
     */
    private static void setScales(ByteBuffer block, int at, GgmlType type, double deviation) {
        switch (type) {
            case Q4_K -> {
                block.putShort(at, Float.floatToFloat16((float) (deviation / 258)));
                block.putShort(at + 2, Float.floatToFloat16((float) (deviation / 258 * 7.5)));
            }
            case Q5_K -> {
                block.putShort(at, Float.floatToFloat16((float) (deviation / 527)));
                block.putShort(at + 2, Float.floatToFloat16((float) (deviation / 527 * 15.5)));
            }
            case Q6_K -> block.putShort(at + 208, Float.floatToFloat16((float) (deviation / 1366)));
            default -> throw new IllegalArgumentException("no random blocks for " + type);
        }
    }

    private static void uint32(LittleEndianOutput header, String key, int value) {
        header.string(key).u32(GgufValueType.UINT32.id()).u32(value);
    }

    private static long alignUp(long offset) {
        return (offset + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }
}
