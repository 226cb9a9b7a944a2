package dev.ggufserve.chat;

import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.exptest.ExpTest;
import com.hubspot.jinjava.lib.filter.Filter;
import jinjava.javax.el.CompositeELResolver;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What Hugging Face chat templates take from Python that Jinjava lacks (Qwen3's and SmolLM3's templates use all of
 * it): Python's string methods ({@code strip/lstrip/rstrip} with or without characters, {@code startswith},
 * {@code endswith}, {@code split}), the reversing slice {@code [::-1]}, and arithmetic in {@code namespace(...)}
 * arguments, which Jinjava parses as {@code (name=a) - b}; {@code not x is none}, which Python reads as
 * {@code not (x is none)} and Jinjava as {@code (not x) is none} (Llama 3.x, Mistral Nemo); and Hugging Face's
 * {@code tojson} (Python's {@code json.dumps}: keys in order, {@code ", "} and {@code ": "} separators, optional
 * {@code indent}); the {@code items} filter; {@code trim} of an undefined value; {@code is iterable}, which holds
 * for strings in Python; and
 * {@code loop.previtem} / {@code loop.nextitem}, which Jinjava's loops lack (Hermes 3's tool template writes the
 * {@code <|im_start|>tool} header only before the first of consecutive tool results).
 */
final class PythonJinjaCompatibility {

    private static final Pattern NAMESPACE_CALL = Pattern.compile("namespace\\(([^()]*)\\)");
    private static final Pattern NAMED_ARGUMENT = Pattern.compile("^\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*=(?!=)(.*)$",
            Pattern.DOTALL);

    /** A statement or expression tag. */
    private static final Pattern TAG = Pattern.compile("\\{[{%].*?[%}]\\}", Pattern.DOTALL);
    /** A string literal inside a tag, so that rewriting leaves quoted text alone. */
    private static final Pattern STRING_LITERAL = Pattern.compile("'(?:[^'\\\\]|\\\\.)*'|\"(?:[^\"\\\\]|\\\\.)*\"");
    /** {@code not x is [not] test}, where x is a name with attributes or subscripts. */
    private static final Pattern NOT_IS_TEST = Pattern.compile(
            "\\bnot\\s+([A-Za-z_]\\w*(?:\\.\\w+|\\[[^\\[\\]]*\\])*\\s+is\\s+(?:not\\s+)?[A-Za-z_]\\w*)");
    /** A for tag over a plain name (no filter, no {@code if} clause, not recursive): group 1 is the name. */
    private static final Pattern PLAIN_FOR = Pattern.compile(
            "\\{%-?\\s*for\\s+\\w+(?:\\s*,\\s*\\w+)*\\s+in\\s+([A-Za-z_]\\w*(?:\\.\\w+)*)\\s*-?%\\}");
    private static final Pattern FOR_TAG = Pattern.compile("\\{%-?\\s*for\\b");
    private static final Pattern ENDFOR_TAG = Pattern.compile("\\{%-?\\s*endfor\\b");
    private static final Pattern LOOP_NEIGHBOUR = Pattern.compile("\\bloop\\.(previtem|nextitem)\\b");

    private PythonJinjaCompatibility() {
    }

    /**
     * The template with {@code [::-1]} as the {@code reverse} filter, namespace arguments parenthesized, and
     * {@code not x is test} as {@code not (x is test)}.
     */
    static String adapt(String template) {
        String reversed = parenthesizeNegatedTests(loopNeighbours(template)).replace("[::-1]", "|reverse");
        Matcher call = NAMESPACE_CALL.matcher(reversed);
        StringBuilder adapted = new StringBuilder();
        while (call.find()) {
            List<String> arguments = new ArrayList<>();
            for (String argument : call.group(1).split(",")) {
                Matcher named = NAMED_ARGUMENT.matcher(argument);
                arguments.add(named.matches() ? named.group(1) + "=(" + named.group(2).strip() + ")" : argument);
            }
            call.appendReplacement(adapted, Matcher.quoteReplacement("namespace(" + String.join(", ", arguments) + ")"));
        }
        call.appendTail(adapted);
        return adapted.toString();
    }

    /**
     * {@code loop.previtem} and {@code loop.nextitem} as the items they name, in the tags directly inside a for loop
     * over a plain name {@code xs}: {@code (xs[loop.index0 - 1] if loop.index0 > 0 else none)} and
     * {@code (xs[loop.index0 + 1] if not loop.last else none)}. In a loop over anything else (a filter, an
     * {@code if} clause), where the index would not point into {@code xs}, they are left as they are.
     */
    private static String loopNeighbours(String template) {
        Matcher tag = TAG.matcher(template);
        StringBuilder adapted = new StringBuilder();
        // The iterated name of each enclosing for loop, innermost last; null for a loop that is not over a name.
        List<String> loops = new ArrayList<>();
        while (tag.find()) {
            String text = tag.group();
            if (FOR_TAG.matcher(text).lookingAt()) {
                Matcher plain = PLAIN_FOR.matcher(text);
                loops.add(plain.matches() ? plain.group(1) : null);
            } else if (ENDFOR_TAG.matcher(text).lookingAt()) {
                if (!loops.isEmpty()) {
                    loops.removeLast();
                }
            } else if (!loops.isEmpty() && loops.getLast() != null) {
                text = replaceOutsideLiterals(text, code -> neighbourItems(code, loops.getLast()));
            }
            tag.appendReplacement(adapted, Matcher.quoteReplacement(text));
        }
        tag.appendTail(adapted);
        return adapted.toString();
    }

    private static String neighbourItems(String code, String items) {
        Matcher neighbour = LOOP_NEIGHBOUR.matcher(code);
        StringBuilder replaced = new StringBuilder();
        while (neighbour.find()) {
            String item = neighbour.group(1).equals("previtem")
                    ? "(" + items + "[loop.index0 - 1] if loop.index0 > 0 else none)"
                    : "(" + items + "[loop.index0 + 1] if not loop.last else none)";
            neighbour.appendReplacement(replaced, Matcher.quoteReplacement(item));
        }
        neighbour.appendTail(replaced);
        return replaced.toString();
    }

    /** {@code code} with {@code rewrite} applied to each stretch between its string literals. */
    private static String replaceOutsideLiterals(String code, UnaryOperator<String> rewrite) {
        Matcher literal = STRING_LITERAL.matcher(code);
        StringBuilder rewritten = new StringBuilder();
        int from = 0;
        while (literal.find()) {
            rewritten.append(rewrite.apply(code.substring(from, literal.start()))).append(literal.group());
            from = literal.end();
        }
        return rewritten.append(rewrite.apply(code.substring(from))).toString();
    }

    /** {@code not x is test} as {@code not (x is test)} in the code of every tag, outside string literals. */
    private static String parenthesizeNegatedTests(String template) {
        Matcher tag = TAG.matcher(template);
        StringBuilder adapted = new StringBuilder();
        while (tag.find()) {
            String code = replaceOutsideLiterals(tag.group(), PythonJinjaCompatibility::parenthesize);
            tag.appendReplacement(adapted, Matcher.quoteReplacement(code));
        }
        tag.appendTail(adapted);
        return adapted.toString();
    }

    private static String parenthesize(String code) {
        return NOT_IS_TEST.matcher(code).replaceAll("not ($1)");
    }

    /** Jinjava's resolver with Python's string methods in front of Java's. */
    static ELResolver resolver() {
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new StringMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        return resolver;
    }

    /** Python's semantics for the string methods templates call; other calls pass to the next resolver. */
    private static final class StringMethods extends ELResolver {

        private static final Set<String> METHODS = Set.of("strip", "lstrip", "rstrip", "startswith", "endswith",
                "split");

        @Override
        public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
            if (!(base instanceof String text) || method == null || !METHODS.contains(method.toString())
                    || params.length > 1 || (params.length == 1 && !(params[0] instanceof String))) {
                return null;
            }
            String argument = params.length == 1 ? (String) params[0] : null;
            Object result = switch (method.toString()) {
                case "strip" -> stripEnd(stripStart(text, argument), argument);
                case "lstrip" -> stripStart(text, argument);
                case "rstrip" -> stripEnd(text, argument);
                case "startswith" -> argument != null && text.startsWith(argument);
                case "endswith" -> argument != null && text.endsWith(argument);
                default -> split(text, argument);
            };
            context.setPropertyResolved(true);
            return result;
        }

        /** Python's {@code lstrip(chars)}: drops leading characters in {@code chars}, or whitespace when null. */
        private static String stripStart(String text, String chars) {
            int start = 0;
            while (start < text.length() && strips(text.charAt(start), chars)) {
                start++;
            }
            return text.substring(start);
        }

        private static String stripEnd(String text, String chars) {
            int end = text.length();
            while (end > 0 && strips(text.charAt(end - 1), chars)) {
                end--;
            }
            return text.substring(0, end);
        }

        private static boolean strips(char c, String chars) {
            return chars == null ? Character.isWhitespace(c) : chars.indexOf(c) >= 0;
        }

        /** Python's {@code split(sep)}: literal, empty pieces kept; without a separator, on whitespace runs. */
        private static List<String> split(String text, String separator) {
            if (separator == null) {
                String stripped = text.strip();
                return stripped.isEmpty() ? List.of() : List.of(stripped.split("\\s+"));
            }
            List<String> pieces = new ArrayList<>();
            int from = 0;
            int at;
            while (!separator.isEmpty() && (at = text.indexOf(separator, from)) >= 0) {
                pieces.add(text.substring(from, at));
                from = at + separator.length();
            }
            pieces.add(text.substring(from));
            return pieces;
        }

        @Override
        public Class<?> getCommonPropertyType(ELContext context, Object base) {
            return null;
        }

        @Override
        public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
            return null;
        }

        @Override
        public Class<?> getType(ELContext context, Object base, Object property) {
            return null;
        }

        @Override
        public Object getValue(ELContext context, Object base, Object property) {
            return null;
        }

        @Override
        public boolean isReadOnly(ELContext context, Object base, Object property) {
            return true;
        }

        @Override
        public void setValue(ELContext context, Object base, Object property, Object value) {
        }
    }

    /** Hugging Face's {@code tojson}: {@code json.dumps(value, ensure_ascii=False, indent=indent)}. */
    static final class ToJson implements Filter {

        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object value, JinjavaInterpreter interpreter, String... args) {
            return filter(value, interpreter, args, Map.of());
        }

        @Override
        public Object filter(Object value, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object indent = kwargs.getOrDefault("indent", args.length > 0 ? args[0] : null);
            StringBuilder json = new StringBuilder();
            write(value, indent == null ? null : " ".repeat(Integer.parseInt(indent.toString())), "", json);
            return json.toString();
        }

        /** Python's layout: without indent {@code ", "} and {@code ": "}; with it, one item a line. */
        private static void write(Object value, String indent, String outer, StringBuilder json) {
            switch (value) {
                case null -> json.append("null");
                case Map<?, ?> map when map.isEmpty() -> json.append("{}");
                case Map<?, ?> map -> {
                    String inner = indent == null ? null : outer + indent;
                    json.append('{');
                    String separator = "";
                    for (Map.Entry<?, ?> entry : map.entrySet()) {
                        json.append(separator);
                        newline(inner, json);
                        string(String.valueOf(entry.getKey()), json);
                        json.append(": ");
                        write(entry.getValue(), indent, inner, json);
                        separator = indent == null ? ", " : ",";
                    }
                    newline(indent == null ? null : outer, json);
                    json.append('}');
                }
                case Iterable<?> list when !list.iterator().hasNext() -> json.append("[]");
                case Iterable<?> list -> {
                    String inner = indent == null ? null : outer + indent;
                    json.append('[');
                    String separator = "";
                    for (Object item : list) {
                        json.append(separator);
                        newline(inner, json);
                        write(item, indent, inner, json);
                        separator = indent == null ? ", " : ",";
                    }
                    newline(indent == null ? null : outer, json);
                    json.append(']');
                }
                case Boolean bool -> json.append(bool ? "true" : "false");
                case Double number -> json.append(pythonFloat(number));
                case Float number -> json.append(pythonFloat(number.doubleValue()));
                case Number number -> json.append(number);
                default -> string(value.toString(), json);
            }
        }

        private static void newline(String indent, StringBuilder json) {
            if (indent != null) {
                json.append('\n').append(indent);
            }
        }

        /** Python's {@code repr} of a float: {@code 1.0}, {@code 0.5}, {@code 1e-05}. */
        private static String pythonFloat(double number) {
            if (Double.isNaN(number) || Double.isInfinite(number)) {
                return Double.isNaN(number) ? "NaN" : number > 0 ? "Infinity" : "-Infinity";
            }
            String text = Double.toString(number);
            int exponent = text.indexOf('E');
            if (exponent < 0) {
                return text;
            }
            String mantissa = text.substring(0, exponent).replaceAll("\\.0$", "");
            int power = Integer.parseInt(text.substring(exponent + 1));
            return mantissa + "e" + (power < 0 ? "-" : "+") + String.format("%02d", Math.abs(power));
        }

        /** A JSON string as Python writes it with non-ASCII kept. */
        private static void string(String text, StringBuilder json) {
            json.append('"');
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                switch (c) {
                    case '"' -> json.append("\\\"");
                    case '\\' -> json.append("\\\\");
                    case '\n' -> json.append("\\n");
                    case '\r' -> json.append("\\r");
                    case '\t' -> json.append("\\t");
                    case '\b' -> json.append("\\b");
                    case '\f' -> json.append("\\f");
                    default -> {
                        if (c < 0x20) {
                            json.append(String.format("\\u%04x", (int) c));
                        } else {
                            json.append(c);
                        }
                    }
                }
            }
            json.append('"');
        }
    }

    /**
     * Jinja's {@code trim}: {@code str(value).strip(chars)}, where an undefined value is {@code ""}. Jinjava's own
     * gives null for a missing key, which {@code "text: " + x.description|trim} then prints as {@code null} (Hermes 3's
     * tool template, for a parameter without a description).
     */
    static final class Trim implements Filter {

        @Override
        public String getName() {
            return "trim";
        }

        @Override
        public Object filter(Object value, JinjavaInterpreter interpreter, String... args) {
            String text = value == null ? "" : value.toString();
            String chars = args.length > 0 ? args[0] : null;
            return StringMethods.stripEnd(StringMethods.stripStart(text, chars), chars);
        }
    }

    /** Jinja's {@code items} filter: a mapping's entries, in order, for {@code for key, value in x|items}. */
    static final class Items implements Filter {

        @Override
        public String getName() {
            return "items";
        }

        @Override
        public Object filter(Object value, JinjavaInterpreter interpreter, String... args) {
            return value instanceof Map<?, ?> map ? new ArrayList<>(map.entrySet()) : List.of();
        }
    }

    /** Python's {@code is iterable}: strings, mappings and sequences. */
    static final class IsIterable implements ExpTest {

        @Override
        public String getName() {
            return "iterable";
        }

        @Override
        public boolean evaluate(Object value, JinjavaInterpreter interpreter, Object... args) {
            return value instanceof String || value instanceof Map<?, ?> || value instanceof Iterable<?>
                    || value != null && value.getClass().isArray();
        }
    }
}
