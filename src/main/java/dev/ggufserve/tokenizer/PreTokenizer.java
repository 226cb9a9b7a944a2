package dev.ggufserve.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The split of text into words before byte-level BPE merges, chosen by the GGUF's {@code tokenizer.ggml.pre}
 * the way llama.cpp chooses it ({@code llama-vocab.cpp}). Each pattern cuts every piece the previous one left:
 * its matches and the text between them become pieces, as in llama.cpp's {@code unicode_regex_split}.
 * <p>
 * The patterns are those of the models' tokenizer.json files in llama.cpp's spelling: case-insensitive
 * contractions written out as {@code '[sS]}, and GPT-4o's upper/lower-case letter classes written as
 * {@code (?=\p{L})[^a-z]} and {@code (?=\p{L})[^A-Z]}, which llama.cpp uses (it counts every non-ASCII letter
 * as both cases). {@code \s} is Unicode's White_Space, as in llama.cpp.
 *
 * @param ignoreMerges take a whole word from the vocabulary without merging when it is an entry (Llama 3)
 * @param addsBos      whether BOS is prepended when the file has no {@code tokenizer.ggml.add_bos_token}
 */
record PreTokenizer(String name, List<Pattern> splits, boolean ignoreMerges, boolean addsBos) {

    private static final String CONTRACTIONS = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])";
    private static final String GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
    private static final String LLAMA3 = CONTRACTIONS + "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String QWEN2 = CONTRACTIONS + "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String UPPER = "(?:(?=\\p{L})[^a-z])";
    private static final String LOWER = "(?:(?=\\p{L})[^A-Z])";
    private static final String GPT4O = "[^\\r\\n\\p{L}\\p{N}]?" + UPPER + "*" + LOWER + "+" + CONTRACTIONS + "?"
            + "|[^\\r\\n\\p{L}\\p{N}]?" + UPPER + "+" + LOWER + "*" + CONTRACTIONS + "?"
            + "|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String TEKKEN = "[^\\r\\n\\p{L}\\p{N}]?" + UPPER + "*" + LOWER + "+"
            + "|[^\\r\\n\\p{L}\\p{N}]?" + UPPER + "+" + LOWER + "*"
            + "|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    private record Kind(List<String> patterns, boolean ignoreMerges, boolean addsBos) {
    }

    private static final Kind GPT2_KIND = new Kind(List.of(GPT2), false, false);
    private static final Kind LLAMA3_KIND = new Kind(List.of(LLAMA3), true, true);
    private static final Kind QWEN2_KIND = new Kind(List.of(QWEN2), false, false);
    private static final Kind DIGITS_THEN_GPT2_KIND = new Kind(List.of("\\p{N}", GPT2), false, false);
    private static final Kind GPT4O_KIND = new Kind(List.of(GPT4O), false, false);
    private static final Kind TEKKEN_KIND = new Kind(List.of(TEKKEN), true, true);

    /** The {@code tokenizer.ggml.pre} values llama.cpp maps to each split (a subset of its list). */
    private static final Map<String, Kind> KINDS_BY_NAME = Map.ofEntries(
            Map.entry("llama3", LLAMA3_KIND), Map.entry("llama-v3", LLAMA3_KIND), Map.entry("llama-bpe", LLAMA3_KIND),
            Map.entry("falcon3", LLAMA3_KIND), Map.entry("pixtral", LLAMA3_KIND),
            Map.entry("dbrx", new Kind(List.of(LLAMA3), false, false)),
            Map.entry("smaug-bpe", new Kind(List.of(LLAMA3), false, false)),
            Map.entry("gpt-2", GPT2_KIND), Map.entry("phi-2", GPT2_KIND), Map.entry("mpt", GPT2_KIND),
            Map.entry("olmo", GPT2_KIND), Map.entry("exaone4", GPT2_KIND),
            Map.entry("qwen2", QWEN2_KIND), Map.entry("deepseek-r1-qwen", QWEN2_KIND), Map.entry("megrez", QWEN2_KIND),
            Map.entry("stablelm2", QWEN2_KIND),
            Map.entry("smollm", DIGITS_THEN_GPT2_KIND), Map.entry("starcoder", DIGITS_THEN_GPT2_KIND),
            Map.entry("refact", DIGITS_THEN_GPT2_KIND), Map.entry("command-r", DIGITS_THEN_GPT2_KIND),
            Map.entry("codeshell", DIGITS_THEN_GPT2_KIND), Map.entry("exaone", DIGITS_THEN_GPT2_KIND),
            Map.entry("gpt-4o", GPT4O_KIND), Map.entry("llama4", GPT4O_KIND),
            Map.entry("tekken", TEKKEN_KIND));

    PreTokenizer {
        splits = List.copyOf(splits);
    }

    /** The split llama.cpp uses for {@code tokenizer.ggml.pre = name}, if it is one this tokenizer knows. */
    static Optional<PreTokenizer> forName(String name) {
        Kind kind = KINDS_BY_NAME.get(name);
        if (kind == null) {
            return Optional.empty();
        }
        List<Pattern> patterns = kind.patterns().stream()
                .map(pattern -> Pattern.compile(pattern, Pattern.UNICODE_CHARACTER_CLASS))
                .toList();
        return Optional.of(new PreTokenizer(name, patterns, kind.ignoreMerges(), kind.addsBos()));
    }

    /** The names {@link #forName} knows, sorted, for error messages. */
    static List<String> knownNames() {
        return KINDS_BY_NAME.keySet().stream().sorted().toList();
    }

    /** The words of {@code text}, in order; together they are the whole text. */
    List<String> split(String text) {
        List<String> pieces = List.of(text);
        for (Pattern pattern : splits) {
            List<String> cut = new ArrayList<>(pieces.size() * 2);
            for (String piece : pieces) {
                cutAt(pattern, piece, cut);
            }
            pieces = cut;
        }
        return pieces;
    }

    private static void cutAt(Pattern pattern, String text, List<String> out) {
        Matcher matcher = pattern.matcher(text);
        int from = 0;
        while (matcher.find()) {
            if (matcher.start() > from) {
                out.add(text.substring(from, matcher.start()));
            }
            if (matcher.end() > matcher.start()) {
                out.add(matcher.group());
            }
            from = matcher.end();
        }
        if (from < text.length()) {
            out.add(text.substring(from));
        }
    }
}
