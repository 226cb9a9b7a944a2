package dev.ggufserve.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;

import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/** Functions that Hugging Face chat templates call. Jinjava needs them as public static methods. */
public final class TemplateFunctions {

    private TemplateFunctions() {
    }

    /** Thrown by {@code raise_exception}: the template rejects the conversation. */
    static final class RaisedByTemplate extends RuntimeException {
        RaisedByTemplate(String message) {
            super(message);
        }
    }

    /** {@code raise_exception(message)}: stops rendering with the template's message. */
    public static String raiseException(String message) {
        throw new RaisedByTemplate(message);
    }

    /**
     * The render's current time, as the template variable {@code strftime_now}: templates test
     * {@code strftime_now is defined} before calling it, as Hugging Face defines it.
     */
    record Now(ZonedDateTime time) {
    }

    /** {@code strftime_now(format)}: the render's time in Python's {@code strftime} format (English names). */
    public static String strftimeNow(String format) {
        Object now = JinjavaInterpreter.getCurrent().getContext().get("strftime_now");
        if (!(now instanceof Now(ZonedDateTime time))) {
            throw new IllegalStateException("strftime_now called without the render's time");
        }
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 == format.length()) {
                text.append(c);
                continue;
            }
            char directive = format.charAt(++i);
            String pattern = switch (directive) {
                case 'a' -> "EEE";
                case 'A' -> "EEEE";
                case 'b' -> "MMM";
                case 'B' -> "MMMM";
                case 'd' -> "dd";
                case 'm' -> "MM";
                case 'y' -> "yy";
                case 'Y' -> "yyyy";
                case 'H' -> "HH";
                case 'I' -> "hh";
                case 'p' -> "a";
                case 'M' -> "mm";
                case 'S' -> "ss";
                case 'j' -> "DDD";
                case '%' -> null;
                default -> throw new IllegalArgumentException("strftime_now: unsupported directive %" + directive);
            };
            text.append(pattern == null ? "%" : DateTimeFormatter.ofPattern(pattern, Locale.ENGLISH).format(time));
        }
        return text.toString();
    }
}
