package dev.ggufserve.chat;

import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import jinjava.javax.el.CompositeELResolver;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What Hugging Face chat templates take from Python that Jinjava lacks (Qwen3's and SmolLM3's templates use all of
 * it): Python's string methods ({@code strip/lstrip/rstrip} with or without characters, {@code startswith},
 * {@code endswith}, {@code split}), the reversing slice {@code [::-1]}, and arithmetic in {@code namespace(...)}
 * arguments, which Jinjava parses as {@code (name=a) - b}.
 */
final class PythonJinjaCompatibility {

    private static final Pattern NAMESPACE_CALL = Pattern.compile("namespace\\(([^()]*)\\)");
    private static final Pattern NAMED_ARGUMENT = Pattern.compile("^\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*=(?!=)(.*)$",
            Pattern.DOTALL);

    private PythonJinjaCompatibility() {
    }

    /** The template with {@code [::-1]} as the {@code reverse} filter and namespace arguments parenthesized. */
    static String adapt(String template) {
        String reversed = template.replace("[::-1]", "|reverse");
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
}
