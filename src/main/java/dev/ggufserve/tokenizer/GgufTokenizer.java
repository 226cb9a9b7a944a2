package dev.ggufserve.tokenizer;

import dev.ggufserve.gguf.GgufMetadata;
import dev.ggufserve.gguf.ModelFileException;
import dev.ggufserve.tokenizer.SpecialTokenSplitter.Fragment;
import dev.ggufserve.tokenizer.SpecialTokenSplitter.SpecialToken;
import dev.ggufserve.tokenizer.SpecialTokenSplitter.TextFragment;
import dev.ggufserve.tokenizer.SpecialTokenSplitter.TokenFragment;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

/**
 * The tokenizer stored in a GGUF file: SentencePiece BPE with scores and byte fallback
 * ({@code tokenizer.ggml.model = "llama"}) or byte-level BPE with merges ({@code "gpt2"}: Llama 3, Qwen, Phi-4,
 * SmolLM...). It gives the same token ids as llama.cpp (checked against llama.cpp's own test vectors),
 * including llama.cpp's handling of special tokens written in the text.
 */
public final class GgufTokenizer implements Tokenizer {

    /** SentencePiece writes spaces as this character (U+2581). */
    private static final String SPACE_MARK = "\u2581";

    /**
     * Token texts that end generation. llama.cpp recognises end-of-turn tokens by these texts because
     * converted models rarely record them in metadata; it also treats them as control tokens.
     */
    private static final Set<String> END_OF_GENERATION_TEXTS = Set.of(
            "<|end|>", "<|endoftext|>", "<|eot_id|>", "<|eom_id|>", "<|im_end|>", "<end_of_turn>",
            "<|end_of_text|>", "<EOT>", "</s>");

    /** The text of a byte-fallback token: its byte in hex. */
    private static final Pattern BYTE_TOKEN_TEXT = Pattern.compile("<0x[0-9A-Fa-f]{2}>");

    private final String[] tokenTexts;
    private final TokenType[] tokenTypes;
    /** What each token stands for in generated text (see {@link #tokenBytes}). */
    private final byte[][] tokenPieces;
    private final boolean[] endsGeneration;
    private final int bosId;
    private final int eosId;
    private final boolean addBos;
    private final boolean addEos;
    private final boolean addSpacePrefix;
    private final SpecialTokenSplitter splitter;
    /** Set for SentencePiece vocabularies. */
    private final SentencePieceMerger sentencePieceMerger;
    /** Set for byte-level BPE vocabularies, with {@link #bytePairMerger}. */
    private final PreTokenizer preTokenizer;
    private final BytePairMerger bytePairMerger;

    /** {@code preTokenizer} is null for SentencePiece vocabularies. */
    private GgufTokenizer(GgufMetadata metadata, List<String> tokens, PreTokenizer preTokenizer) {
        int vocabularySize = tokens.size();
        boolean byteLevel = preTokenizer != null;
        this.tokenTexts = tokens.toArray(String[]::new);
        int[] typeCodes = metadata.getIntArray("tokenizer.ggml.token_type").orElse(null);
        if (typeCodes != null) {
            requireLength(metadata, "tokenizer.ggml.token_type", typeCodes.length, vocabularySize);
        }

        // When two entries share a text, the later one wins, as in llama.cpp.
        Map<String, Integer> idsByText = HashMap.newHashMap(vocabularySize);
        for (int id = 0; id < vocabularySize; id++) {
            idsByText.put(tokenTexts[id], id);
        }

        this.bosId = tokenId(metadata, "tokenizer.ggml.bos_token_id", vocabularySize);
        this.eosId = tokenId(metadata, "tokenizer.ggml.eos_token_id", vocabularySize);
        int unknownId = tokenId(metadata, "tokenizer.ggml.unknown_token_id", vocabularySize);
        // llama.cpp's defaults: SentencePiece adds BOS, byte-level BPE only for some pre-tokenizers (Llama 3's);
        // the file's own key decides when present.
        this.addBos = metadata.getBoolean("tokenizer.ggml.add_bos_token").orElse(!byteLevel || preTokenizer.addsBos());
        this.addEos = metadata.getBoolean("tokenizer.ggml.add_eos_token").orElse(false);
        this.addSpacePrefix = !byteLevel && metadata.getBoolean("tokenizer.ggml.add_space_prefix").orElse(true);

        this.tokenTypes = new TokenType[vocabularySize];
        this.endsGeneration = new boolean[vocabularySize];
        for (int id = 0; id < vocabularySize; id++) {
            tokenTypes[id] = typeCodes == null ? TokenType.NORMAL : TokenType.fromCode(typeCodes[id]);
            if (END_OF_GENERATION_TEXTS.contains(tokenTexts[id])) {
                endsGeneration[id] = true;
                tokenTypes[id] = TokenType.CONTROL;
            }
        }
        for (String key : List.of("tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id",
                "tokenizer.ggml.eom_token_id")) {
            int id = tokenId(metadata, key, vocabularySize);
            if (id >= 0) {
                endsGeneration[id] = true;
            }
        }

        this.tokenPieces = new byte[vocabularySize][];
        for (int id = 0; id < vocabularySize; id++) {
            if (tokenTypes[id] == TokenType.BYTE && !BYTE_TOKEN_TEXT.matcher(tokenTexts[id]).matches()) {
                throw new ModelFileException(metadata.file(), "token " + id + " has the byte type but its text '"
                        + tokenTexts[id] + "' is not of the form <0xXX>");
            }
            tokenPieces[id] = piece(tokenTexts[id], tokenTypes[id], byteLevel);
        }
        this.splitter = new SpecialTokenSplitter(specialTokens(metadata));
        this.preTokenizer = preTokenizer;
        if (byteLevel) {
            this.sentencePieceMerger = null;
            this.bytePairMerger = new BytePairMerger(idsByText, mergeRanks(metadata), preTokenizer.ignoreMerges());
        } else {
            float[] scores = metadata.getFloatArray("tokenizer.ggml.scores").orElse(new float[vocabularySize]);
            requireLength(metadata, "tokenizer.ggml.scores", scores.length, vocabularySize);
            this.sentencePieceMerger = new SentencePieceMerger(idsByText, scores, byteTokenIds(idsByText, unknownId));
            this.bytePairMerger = null;
        }
    }

    /**
     * The tokenizer of a GGUF file's metadata.
     *
     * @throws ModelFileException when the file has no tokenizer, one other than SentencePiece ("llama") or
     *                             byte-level BPE ("gpt2"), or a pre-tokenizer ({@code tokenizer.ggml.pre}) that is
     *                             not supported
     */
    public static GgufTokenizer fromMetadata(GgufMetadata metadata) {
        String model = metadata.getString("tokenizer.ggml.model").orElseThrow(() -> new ModelFileException(
                metadata.file(), "it has no tokenizer (metadata key 'tokenizer.ggml.model' is missing)"));
        PreTokenizer preTokenizer = switch (model) {
            case "llama" -> null;
            case "gpt2" -> preTokenizer(metadata);
            default -> throw new ModelFileException(metadata.file(), "tokenizer.ggml.model '" + model
                    + "' is not supported: only SentencePiece ('llama') and byte-level BPE ('gpt2') vocabularies are");
        };
        List<String> tokens = metadata.getStringArray("tokenizer.ggml.tokens")
                .filter(list -> !list.isEmpty())
                .orElseThrow(() -> new ModelFileException(metadata.file(),
                        "it has no vocabulary (metadata key 'tokenizer.ggml.tokens' is missing or empty)"));
        return new GgufTokenizer(metadata, tokens, preTokenizer);
    }

    private static PreTokenizer preTokenizer(GgufMetadata metadata) {
        String name = metadata.getString("tokenizer.ggml.pre").orElseThrow(() -> new ModelFileException(
                metadata.file(), "its byte-level BPE vocabulary names no pre-tokenizer (metadata key"
                        + " 'tokenizer.ggml.pre' is missing); supported: " + String.join(", ", PreTokenizer.knownNames())));
        return PreTokenizer.forName(name).orElseThrow(() -> new ModelFileException(metadata.file(),
                "tokenizer.ggml.pre '" + name + "' is not supported; supported: "
                        + String.join(", ", PreTokenizer.knownNames())));
    }

    /** The rank of each merge ("left right"): its index in {@code tokenizer.ggml.merges}. */
    private static Map<String, Integer> mergeRanks(GgufMetadata metadata) {
        List<String> merges = metadata.getStringArray("tokenizer.ggml.merges").orElseThrow(() -> new ModelFileException(
                metadata.file(), "its byte-level BPE vocabulary has no merges (metadata key 'tokenizer.ggml.merges'"
                        + " is missing)"));
        Map<String, Integer> ranks = HashMap.newHashMap(merges.size());
        for (int rank = 0; rank < merges.size(); rank++) {
            // The first rank of a pair wins, as with llama.cpp's map insertion.
            ranks.putIfAbsent(merges.get(rank), rank);
        }
        return ranks;
    }

    @Override
    public int vocabularySize() {
        return tokenTexts.length;
    }

    /**
     * Token ids of {@code text}. With {@code addBos} the tokens the model asks for are added: BOS before
     * ({@code add_bos_token}) and EOS after ({@code add_eos_token}), like llama.cpp's {@code add_special}.
     * User-defined tokens are kept whole even without {@code parseSpecial}, as llama.cpp does; control
     * tokens only with it.
     */
    @Override
    public int[] encode(String text, boolean addBos, boolean parseSpecial) {
        IntStream.Builder ids = IntStream.builder();
        if (addBos && this.addBos && bosId >= 0) {
            ids.add(bosId);
        }
        // llama.cpp puts the space prefix before the first text and before every text that follows a
        // special token, so "<|user|>Hi" encodes "Hi" as "▁Hi", like text at the start.
        boolean afterSpecialToken = true;
        for (Fragment fragment : splitter.split(text, parseSpecial)) {
            switch (fragment) {
                case TextFragment(String fragmentText) -> {
                    if (bytePairMerger != null) {
                        for (String word : preTokenizer.split(fragmentText)) {
                            bytePairMerger.encode(ByteLevelAlphabet.encode(word), ids::add);
                        }
                    } else {
                        String prefixed = addSpacePrefix && afterSpecialToken ? " " + fragmentText : fragmentText;
                        sentencePieceMerger.encode(prefixed.replace(" ", SPACE_MARK), ids::add);
                    }
                    afterSpecialToken = false;
                }
                case TokenFragment(int id) -> {
                    ids.add(id);
                    afterSpecialToken = true;
                }
            }
        }
        if (addBos && addsEos()) {
            ids.add(eosId);
        }
        return ids.build().toArray();
    }

    @Override
    public boolean addsBos() {
        return addBos && bosId >= 0;
    }

    /** Whether EOS is appended to prompts ({@code tokenizer.ggml.add_eos_token}, rarely set). */
    boolean addsEos() {
        return addEos && eosId >= 0;
    }

    @Override
    public int bosId() {
        return bosId;
    }

    @Override
    public int eosId() {
        return eosId;
    }

    @Override
    public String bosText() {
        return bosId >= 0 ? tokenTexts[bosId] : "";
    }

    @Override
    public String eosText() {
        return eosId >= 0 ? tokenTexts[eosId] : "";
    }

    @Override
    public boolean isEndOfGeneration(int id) {
        return isValidId(id) && endsGeneration[id];
    }

    /**
     * Normal tokens give their text with "▁" as space (a leading space is kept: generated text continues a
     * prompt), or in a byte-level vocabulary the bytes their characters stand for; byte tokens their byte;
     * user-defined tokens their text; control, unknown and unused tokens nothing.
     */
    @Override
    public byte[] tokenBytes(int id) {
        return tokenPieces[checkedId(id)].clone();
    }

    /** The token's bytes as text; for tokens that show no bytes (e.g. {@code <|end|>}) the token's own text. */
    @Override
    public String tokenText(int id) {
        byte[] piece = tokenPieces[checkedId(id)];
        return switch (tokenTypes[id]) {
            case CONTROL, UNKNOWN, UNUSED -> tokenTexts[id];
            default -> new String(piece, StandardCharsets.UTF_8);
        };
    }

    @Override
    public IncrementalDecoder newDecoder() {
        return new Utf8StreamDecoder(this::tokenBytes);
    }

    /** Whether {@code text} contains the text of a control, user-defined or unknown token. */
    boolean containsSpecialTokenText(String text) {
        return splitter.split(text, true).stream().anyMatch(fragment -> fragment instanceof TokenFragment);
    }

    private int checkedId(int id) {
        if (!isValidId(id)) {
            throw new IllegalArgumentException("token id " + id + " is outside the vocabulary (size "
                    + vocabularySize() + ")");
        }
        return id;
    }

    private static byte[] piece(String text, TokenType type, boolean byteLevel) {
        return switch (type) {
            case NORMAL -> byteLevel ? ByteLevelAlphabet.decode(text)
                    : text.replace(SPACE_MARK, " ").getBytes(StandardCharsets.UTF_8);
            case BYTE -> new byte[] {(byte) Integer.parseInt(text.substring(3, 5), 16)};
            case USER_DEFINED -> text.getBytes(StandardCharsets.UTF_8);
            case CONTROL, UNKNOWN, UNUSED -> new byte[0];
        };
    }

    /**
     * The special tokens, longest text first (llama.cpp's order), with Phi-3's whitespace rule: llama.cpp
     * strips the whitespace after Phi-3's special tokens except {@code <unk>}, {@code <s>} and
     * {@code <|endoftext|>}, matching {@code rstrip} in Phi-3's Hugging Face tokenizer. It recognises Phi-3 by
     * {@code general.name}.
     */
    private List<SpecialToken> specialTokens(GgufMetadata metadata) {
        String modelName = metadata.getString("general.name").orElse("").toLowerCase(Locale.ROOT);
        boolean isPhi3 = modelName.contains("phi-3") || modelName.contains("phi3");
        Set<String> keepWhitespaceAfter = Set.of("<unk>", "<s>", "<|endoftext|>");
        List<SpecialToken> specials = new ArrayList<>();
        for (int id = 0; id < tokenTexts.length; id++) {
            if (tokenTypes[id].isSpecial()) {
                boolean stripsWhitespaceAfter = isPhi3 && !keepWhitespaceAfter.contains(tokenTexts[id]);
                boolean onlyWhenParsingSpecial = tokenTypes[id] != TokenType.USER_DEFINED;
                specials.add(new SpecialToken(id, tokenTexts[id], onlyWhenParsingSpecial, stripsWhitespaceAfter));
            }
        }
        specials.sort(Comparator.comparingInt((SpecialToken token) -> utf8Length(token.text())).reversed()
                .thenComparingInt(SpecialToken::id));
        return specials;
    }

    /**
     * The token for each byte value: {@code <0xXX>}, else (ASCII only) the character itself, else the
     * unknown token (-1 when there is none).
     */
    private static int[] byteTokenIds(Map<String, Integer> idsByText, int unknownId) {
        int[] ids = new int[256];
        for (int value = 0; value < 256; value++) {
            Integer id = idsByText.get(String.format("<0x%02X>", value));
            if (id == null && value < 0x80) {
                id = idsByText.get(String.valueOf((char) value));
            }
            ids[value] = id != null ? id : unknownId;
        }
        return ids;
    }

    /** A token id from the metadata, or -1 when absent or outside the vocabulary (e.g. 0xFFFFFFFF for "none"). */
    private static int tokenId(GgufMetadata metadata, String key, int vocabularySize) {
        OptionalLong value = metadata.getLong(key);
        if (value.isEmpty() || value.getAsLong() < 0 || value.getAsLong() >= vocabularySize) {
            return -1;
        }
        return (int) value.getAsLong();
    }

    private static void requireLength(GgufMetadata metadata, String key, int length, int vocabularySize) {
        if (length != vocabularySize) {
            throw new ModelFileException(metadata.file(), "metadata key '" + key + "' has " + length
                    + " entries but the vocabulary has " + vocabularySize + " tokens");
        }
    }

    private static int utf8Length(String text) {
        return text.getBytes(StandardCharsets.UTF_8).length;
    }
}
