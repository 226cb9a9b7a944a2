package dev.ggufserve.tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * Cuts a text at the special tokens written in it, the way llama.cpp's {@code tokenizer_st_partition} does:
 * special tokens are taken longest first, each one out of every text piece still left, left to right.
 * A token that strips whitespace on its right (Phi-3's chat tokens) also removes the whitespace after it.
 */
final class SpecialTokenSplitter {

    /** A piece of the cut text: plain text still to be merged, or one special token. */
    sealed interface Fragment {
    }

    record TextFragment(String text) implements Fragment {
    }

    record TokenFragment(int id) implements Fragment {
    }

    /** A special token to look for: its id, its text, and whether it swallows whitespace after it. */
    record SpecialToken(int id, String text, boolean onlyWhenParsingSpecial, boolean stripsWhitespaceAfter) {
    }

    /** Longest text first, as llama.cpp orders them. */
    private final List<SpecialToken> specialTokens;

    SpecialTokenSplitter(List<SpecialToken> specialTokensLongestFirst) {
        this.specialTokens = List.copyOf(specialTokensLongestFirst);
    }

    /**
     * The fragments of {@code text}. Without {@code parseSpecial} only the tokens that are always looked for
     * (llama.cpp: user-defined ones) are cut out.
     */
    List<Fragment> split(String text, boolean parseSpecial) {
        List<Fragment> fragments = new ArrayList<>();
        if (!text.isEmpty()) {
            fragments.add(new TextFragment(text));
        }
        for (SpecialToken token : specialTokens) {
            if (token.onlyWhenParsingSpecial() && !parseSpecial) {
                continue;
            }
            List<Fragment> cut = new ArrayList<>(fragments.size() + 2);
            for (Fragment fragment : fragments) {
                if (fragment instanceof TextFragment(String fragmentText)) {
                    cutAt(token, fragmentText, cut);
                } else {
                    cut.add(fragment);
                }
            }
            fragments = cut;
        }
        return fragments;
    }

    private static void cutAt(SpecialToken token, String text, List<Fragment> out) {
        int from = 0;
        int match;
        while ((match = text.indexOf(token.text(), from)) >= 0) {
            if (match > from) {
                out.add(new TextFragment(text.substring(from, match)));
            }
            out.add(new TokenFragment(token.id()));
            from = match + token.text().length();
            if (token.stripsWhitespaceAfter()) {
                while (from < text.length() && isAsciiSpace(text.charAt(from))) {
                    from++;
                }
            }
        }
        if (from < text.length()) {
            out.add(new TextFragment(text.substring(from)));
        }
    }

    /** C's isspace: the whitespace llama.cpp strips next to special tokens. */
    private static boolean isAsciiSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\u000B' || c == '\f' || c == '\r';
    }
}
