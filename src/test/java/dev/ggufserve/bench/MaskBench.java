package dev.ggufserve.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ggufserve.engine.Sequence;
import dev.ggufserve.engine.cpu.CpuEngine;
import dev.ggufserve.gguf.GgufFile;
import dev.ggufserve.gguf.GgufMetadata;
import dev.ggufserve.grammar.GrammarConstraint;
import dev.ggufserve.grammar.GrammarNode;
import dev.ggufserve.grammar.SchemaCompiler;
import dev.ggufserve.grammar.TokenTrie;
import dev.ggufserve.testing.Logits;
import dev.ggufserve.tokenizer.Tokenizers;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The cost of the structured-output token mask per generated token against a decode step, in one process: decode
 * steps of MODEL (2 threads), then {@link GrammarConstraint#mask} in typical states of a JSON-schema reply on
 * MODEL's vocabulary (Phi-3: 32064 tokens) and on a 150k-token byte-level BPE vocabulary (Qwen2's, from its
 * llama.cpp vocabulary GGUF). Medians of many repetitions; prints a Markdown table. Run by bench/mask.sh.
 *
 * <pre>
 * usage: MaskBench MODEL.gguf BPE_VOCABULARY.gguf [--steps 8] [--repeats 41]
 * </pre>
 */
public final class MaskBench {

    private static final String SCHEMA = """
            {"type": "object", "properties": {
               "name": {"type": "string"}, "age": {"type": "integer"},
               "tags": {"type": "array", "items": {"type": "string"}}},
             "required": ["name", "age", "tags"], "additionalProperties": false}""";
    /** Replies cut where the next token is being chosen: the state the mask is computed in. */
    private static final Map<String, String> STATES = new LinkedHashMap<>();

    static {
        STATES.put("reply start (only '{' tokens)", "");
        STATES.put("object key expected", "{\"name\": \"Ann\", ");
        STATES.put("inside a string (most tokens allowed)", "{\"name\": \"An");
        STATES.put("inside an integer", "{\"name\": \"Ann\", \"age\": 4");
        STATES.put("array item expected", "{\"name\": \"Ann\", \"age\": 4, \"tags\": [");
    }

    private MaskBench() {
    }

    public static void main(String[] args) throws IOException {
        Path model = Path.of(args[0]);
        Path bpeVocabulary = Path.of(args[1]);
        int steps = option(args, "steps", 8);
        int repeats = option(args, "repeats", 41);
        GrammarNode grammar = SchemaCompiler.compile(new ObjectMapper().readTree(SCHEMA));

        double decodeMillis;
        TokenTrie modelTrie;
        try (GgufFile file = GgufFile.open(model); CpuEngine engine = CpuEngine.load(file, 2)) {
            modelTrie = TokenTrie.of(Tokenizers.load(file.metadata(), Optional.empty()));
            decodeMillis = decodeStepMillis(engine, steps);
        }
        long start = System.nanoTime();
        TokenTrie bpeTrie = TokenTrie.of(byteLevelBpeBytes(bpeVocabulary), new int[0]);
        double bpeTrieMillis = (System.nanoTime() - start) / 1e6;

        System.out.printf("decode step of %s: %.1f ms (median of %d)%n", model.getFileName(), decodeMillis, steps);
        System.out.printf("tries: %d tokens -> %d nodes; %d tokens -> %d nodes (built in %.0f ms)%n",
                modelTrie.vocabularySize(), modelTrie.nodeCount(), bpeTrie.vocabularySize(), bpeTrie.nodeCount(),
                bpeTrieMillis);
        System.out.println();
        System.out.println("| state | " + modelTrie.vocabularySize() + " tokens: ms | % of decode step | "
                + bpeTrie.vocabularySize() + " tokens: ms | % of decode step |");
        System.out.println("| --- | --- | --- | --- | --- |");
        for (Map.Entry<String, String> state : STATES.entrySet()) {
            double small = maskMillis(grammar, modelTrie, state.getValue(), repeats);
            double large = maskMillis(grammar, bpeTrie, state.getValue(), repeats);
            System.out.printf("| %s | %.3f | %.2f%% | %.3f | %.2f%% |%n", state.getKey(), small,
                    100 * small / decodeMillis, large, 100 * large / decodeMillis);
        }
    }

    private static double decodeStepMillis(CpuEngine engine, int steps) {
        try (Sequence sequence = engine.newSequence(steps + 32)) {
            float[] logits = sequence.append(new int[] {1, 450, 4996}, null);
            List<Double> times = new ArrayList<>();
            for (int i = 0; i < steps + 2; i++) {
                int next = Logits.argmax(logits);
                long start = System.nanoTime();
                logits = sequence.append(new int[] {next}, null);
                if (i >= 2) {
                    times.add((System.nanoTime() - start) / 1e6);
                }
            }
            return median(times);
        }
    }

    /** One mask in the state after {@code prefix}, as the generator computes it before each token. */
    private static double maskMillis(GrammarNode grammar, TokenTrie trie, String prefix, int repeats) {
        float[] logits = new float[trie.vocabularySize()];
        List<Double> times = new ArrayList<>();
        for (int i = 0; i < repeats + 5; i++) {
            var constraint = new GrammarConstraint(grammar, trie);
            constraint.acceptText(prefix.getBytes(StandardCharsets.UTF_8));
            long start = System.nanoTime();
            constraint.mask(logits);
            if (i >= 5) {
                times.add((System.nanoTime() - start) / 1e6);
            }
        }
        return median(times);
    }

    /** Token bytes of a GPT-2-style byte-level BPE vocabulary: each character of a token text stands for a byte. */
    static byte[][] byteLevelBpeBytes(Path vocabulary) {
        int[] byteOfChar = new int[512];
        Arrays.fill(byteOfChar, -1);
        int extra = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = b >= '!' && b <= '~' || b >= 0xA1 && b <= 0xAC || b >= 0xAE && b <= 0xFF;
            byteOfChar[printable ? b : 256 + extra++] = b;
        }
        try (GgufFile file = GgufFile.open(vocabulary)) {
            GgufMetadata metadata = file.metadata();
            List<String> tokens = metadata.getStringArray("tokenizer.ggml.tokens").orElseThrow();
            int[] types = metadata.getIntArray("tokenizer.ggml.token_type").orElseThrow();
            byte[][] bytes = new byte[tokens.size()][];
            for (int id = 0; id < tokens.size(); id++) {
                String text = tokens.get(id);
                // Normal tokens only; control and user-defined ones stay out of text, as control tokens do here.
                boolean normal = types[id] == 1 && text.chars().allMatch(c -> c < 512 && byteOfChar[c] >= 0);
                bytes[id] = new byte[normal ? text.length() : 0];
                for (int i = 0; normal && i < text.length(); i++) {
                    bytes[id][i] = (byte) byteOfChar[text.charAt(i)];
                }
            }
            return bytes;
        }
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        return sorted.get(sorted.size() / 2);
    }

    private static int option(String[] args, String name, int fallback) {
        for (int i = 2; i + 1 < args.length; i++) {
            if (args[i].equals("--" + name)) {
                return Integer.parseInt(args[i + 1]);
            }
        }
        return fallback;
    }
}
