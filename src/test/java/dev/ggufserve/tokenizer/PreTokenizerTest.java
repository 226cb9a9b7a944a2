package dev.ggufserve.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The splits that llama.cpp's test vectors do not cover (gpt-4o, smollm, tekken), worked out by hand from the
 * models' tokenizer.json patterns, and every known name compiling.
 */
class PreTokenizerTest {

    private static List<String> split(String name, String text) {
        return PreTokenizer.forName(name).orElseThrow().split(text);
    }

    @Test
    void everyKnownNameCompilesAndKeepsTheWholeText() {
        String text = "Hello World's 12345\n\n  naïve CAMELCase 世界 🦙!";
        for (String name : PreTokenizer.knownNames()) {
            assertEquals(text, String.join("", split(name, text)), name);
        }
        assertTrue(PreTokenizer.forName("made-up").isEmpty());
    }

    @Test
    void gpt4oKeepsCaseRunsContractionsAndDigitTriples() {
        assertEquals(List.of("Hello", " World's", " ", "123", "45", "\n\n", " ", " naïve", " CAMELCase", " 世界",
                " 🦙!"), split("gpt-4o", "Hello World's 12345\n\n  naïve CAMELCase 世界 🦙!"));
    }

    @Test
    void smollmIsolatesEveryDigitBeforeGpt2Splits() {
        assertEquals(List.of("abc", " ", "1", "2", "3", " def"), split("smollm", "abc 123 def"));
    }

    @Test
    void tekkenSplitsDigitsOneByOneAndKeepsNoContraction() {
        assertEquals(List.of("Hello", " World", "'s", " ", "1", "2"), split("tekken", "Hello World's 12"));
    }
}
