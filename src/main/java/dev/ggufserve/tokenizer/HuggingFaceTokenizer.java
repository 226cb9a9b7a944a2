package dev.ggufserve.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Encodes with a Hugging Face {@code tokenizer.json} (through DJL's binding of the Rust tokenizers library)
 * and leaves everything else (decoding, special ids, end of generation) to the model's own GGUF vocabulary,
 * whose ids are the ones the model was trained with.
 *
 * <p>Holds native memory: {@link #close()} it when the model is unloaded.
 */
public final class HuggingFaceTokenizer implements Tokenizer, AutoCloseable {

    private final ai.djl.huggingface.tokenizers.HuggingFaceTokenizer encoder;
    private final GgufTokenizer vocabulary;

    private HuggingFaceTokenizer(ai.djl.huggingface.tokenizers.HuggingFaceTokenizer encoder,
                                 GgufTokenizer vocabulary) {
        this.encoder = encoder;
        this.vocabulary = vocabulary;
    }

    /**
     * Loads {@code tokenizerJson} for encoding, with {@code vocabulary} (the same model's GGUF tokenizer) for
     * the rest.
     *
     * @throws IllegalArgumentException when the file is missing or not a readable tokenizer.json
     */
    public static HuggingFaceTokenizer open(Path tokenizerJson, GgufTokenizer vocabulary) {
        if (!Files.isRegularFile(tokenizerJson) || !Files.isReadable(tokenizerJson)) {
            throw new IllegalArgumentException("Hugging Face tokenizer file " + tokenizerJson
                    + " does not exist or is not a readable file");
        }
        keepDjlOffline();
        try {
            // Truncation off (DJL would cut at 512 tokens), no padding, and no post-processor specials:
            // BOS/EOS are added here as the GGUF metadata asks, exactly as the GGUF tokenizer adds them.
            var encoder = ai.djl.huggingface.tokenizers.HuggingFaceTokenizer.builder()
                    .optTokenizerPath(tokenizerJson)
                    .optTruncation(false)
                    .optPadding(false)
                    .optAddSpecialTokens(false)
                    .build();
            return new HuggingFaceTokenizer(encoder, vocabulary);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("cannot load Hugging Face tokenizer file " + tokenizerJson + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * DJL contacts the network unless it runs offline: on every tokenizer it builds it probes the EC2
     * metadata endpoint for telemetry, and it would download its native library if the jar lacked it. The
     * library ships in the jar for the platforms we run on, so offline mode costs nothing. An explicit
     * setting (system property {@code ai.djl.offline} or environment {@code DJL_OFFLINE}) is respected.
     */
    private static void keepDjlOffline() {
        if (System.getProperty("ai.djl.offline") == null && System.getenv("DJL_OFFLINE") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
    }

    @Override
    public int vocabularySize() {
        return vocabulary.vocabularySize();
    }

    /**
     * Token ids from tokenizer.json. Hugging Face tokenizers always recognise their added tokens, and DJL
     * offers no switch to treat them as text; so when {@code parseSpecial} is false and the text contains a
     * special token's text, the GGUF vocabulary encodes it instead (llama.cpp's answer).
     */
    @Override
    public int[] encode(String text, boolean addBos, boolean parseSpecial) {
        if (!parseSpecial && vocabulary.containsSpecialTokenText(text)) {
            return vocabulary.encode(text, addBos, false);
        }
        Encoding encoding = encoder.encode(text, false, false);
        long[] ids = encoding.getIds();
        boolean prependBos = addBos && vocabulary.addsBos();
        boolean appendEos = addBos && vocabulary.addsEos();
        int[] out = new int[ids.length + (prependBos ? 1 : 0) + (appendEos ? 1 : 0)];
        int next = 0;
        if (prependBos) {
            out[next++] = vocabulary.bosId();
        }
        for (long id : ids) {
            out[next++] = Math.toIntExact(id);
        }
        if (appendEos) {
            out[next] = vocabulary.eosId();
        }
        return out;
    }

    @Override
    public boolean addsBos() {
        return vocabulary.addsBos();
    }

    @Override
    public int bosId() {
        return vocabulary.bosId();
    }

    @Override
    public int eosId() {
        return vocabulary.eosId();
    }

    @Override
    public String bosText() {
        return vocabulary.bosText();
    }

    @Override
    public String eosText() {
        return vocabulary.eosText();
    }

    @Override
    public boolean isEndOfGeneration(int id) {
        return vocabulary.isEndOfGeneration(id);
    }

    @Override
    public byte[] tokenBytes(int id) {
        return vocabulary.tokenBytes(id);
    }

    @Override
    public String tokenText(int id) {
        return vocabulary.tokenText(id);
    }

    @Override
    public IncrementalDecoder newDecoder() {
        return vocabulary.newDecoder();
    }

    /** Frees the native tokenizer. */
    @Override
    public void close() {
        encoder.close();
    }
}
