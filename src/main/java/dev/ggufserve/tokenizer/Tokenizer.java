package dev.ggufserve.tokenizer;

/**
 * Turns text into token ids and back for one model. Ids are the model's vocabulary ids.
 */
public interface Tokenizer {

    int vocabularySize();

    /**
     * Token ids of {@code text}.
     *
     * @param addBos       prepend the BOS token when the model asks for it ({@link #addsBos()})
     * @param parseSpecial recognise special tokens written as text (e.g. {@code <|user|>}) and keep them
     *                     whole; false treats them as ordinary text
     */
    int[] encode(String text, boolean addBos, boolean parseSpecial);

    /** Whether the model's BOS token is prepended to prompts ({@code tokenizer.ggml.add_bos_token}). */
    boolean addsBos();

    /** The BOS id, or -1 when the model has none. */
    int bosId();

    /** The EOS id, or -1 when the model has none. */
    int eosId();

    /** The text of the BOS / EOS tokens, for chat templates ({@code bos_token}, {@code eos_token}). */
    String bosText();

    String eosText();

    /** True for ids that end generation: EOS, end-of-turn tokens such as Phi-3's {@code <|end|>}. */
    boolean isEndOfGeneration(int id);

    /** True for ids that exist in the vocabulary. */
    default boolean isValidId(int id) {
        return id >= 0 && id < vocabularySize();
    }

    /**
     * The bytes a token stands for in generated text (byte-fallback tokens give their one byte; control
     * tokens give none).
     */
    byte[] tokenBytes(int id);

    /** A token as shown in log-probability listings: its bytes decoded leniently as UTF-8. */
    String tokenText(int id);

    /** A decoder for one generated stream that never splits a multi-byte UTF-8 character. */
    IncrementalDecoder newDecoder();
}
