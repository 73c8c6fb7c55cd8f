package dev.calicorr.core.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Typed reads of one section of a custom resource's spec, as the JSON decoder hands it over
 * ({@code Map<String, Object>}, numbers as {@link Number}), and of environment variables. Every
 * failure names the field it came from. Pure: used by the host and by plugins alike.
 */
public final class ConfigValues {
    private static final Pattern GO_DURATION_PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|µs|ms|s|m|h)");

    private final Map<String, Object> section;
    private final String path;

    /**
     * @param section the section's map, or null when it is absent
     * @param path    the section's path for messages, e.g. {@code spec.controllers.routereflector}
     */
    public ConfigValues(Map<String, Object> section, String path) {
        this.section = section == null ? Map.of() : section;
        this.path = path;
    }

    public String field(String key) {
        return path + "." + key;
    }

    public boolean has(String key) {
        return section.get(key) != null;
    }

    public Optional<String> string(String key) throws InvalidConfigException {
        Object value = section.get(key);
        if (value == null) {
            return Optional.empty();
        }
        if (!(value instanceof String text)) {
            throw new InvalidConfigException(field(key), "must be a string, got " + describe(value));
        }
        return Optional.of(text);
    }

    public Optional<Integer> integer(String key) throws InvalidConfigException {
        Object value = section.get(key);
        if (value == null) {
            return Optional.empty();
        }
        if (value instanceof Number number && number.doubleValue() == Math.rint(number.doubleValue())
                && Math.abs(number.doubleValue()) <= Integer.MAX_VALUE) {
            return Optional.of(number.intValue());
        }
        throw new InvalidConfigException(field(key), "must be a whole number, got " + describe(value));
    }

    public Optional<Double> number(String key) throws InvalidConfigException {
        Object value = section.get(key);
        if (value == null) {
            return Optional.empty();
        }
        if (value instanceof Number number) {
            return Optional.of(number.doubleValue());
        }
        throw new InvalidConfigException(field(key), "must be a number, got " + describe(value));
    }

    public Optional<Boolean> bool(String key) throws InvalidConfigException {
        Object value = section.get(key);
        if (value == null) {
            return Optional.empty();
        }
        if (value instanceof Boolean flag) {
            return Optional.of(flag);
        }
        throw new InvalidConfigException(field(key), "must be true or false, got " + describe(value));
    }

    public Optional<List<String>> strings(String key) throws InvalidConfigException {
        Object value = section.get(key);
        if (value == null) {
            return Optional.empty();
        }
        if (value instanceof List<?> list && list.stream().allMatch(String.class::isInstance)) {
            return Optional.of(list.stream().map(String.class::cast).toList());
        }
        throw new InvalidConfigException(field(key), "must be a list of strings, got " + describe(value));
    }

    /** A list of nested sections (e.g. {@code steps}), or empty when absent. */
    @SuppressWarnings("unchecked")
    public Optional<List<Map<String, Object>>> sections(String key) throws InvalidConfigException {
        Object value = section.get(key);
        if (value == null) {
            return Optional.empty();
        }
        if (value instanceof List<?> list && list.stream().allMatch(Map.class::isInstance)) {
            return Optional.of(list.stream().map(item -> (Map<String, Object>) item).toList());
        }
        throw new InvalidConfigException(field(key), "must be a list of objects, got " + describe(value));
    }

    /** A nested section, or null when absent. */
    @SuppressWarnings("unchecked")
    public Map<String, Object> section(String key) throws InvalidConfigException {
        Object value = section.get(key);
        if (value == null) {
            return null;
        }
        if (value instanceof Map<?, ?> map) {
            return (Map<String, Object>) map;
        }
        throw new InvalidConfigException(field(key), "must be an object, got " + describe(value));
    }

    public Optional<Duration> duration(String key) throws InvalidConfigException {
        Optional<String> text = string(key);
        if (text.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(parseDuration(field(key), text.get()));
    }

    /**
     * Parses a Go-style duration as Calico's configuration uses them ({@code 90s}, {@code 5m},
     * {@code 1h30m}, {@code 500ms}).
     */
    public static Duration parseDuration(String field, String text) throws InvalidConfigException {
        String trimmed = text.trim();
        if (trimmed.equals("0")) {
            return Duration.ZERO;
        }
        Matcher matcher = GO_DURATION_PART.matcher(trimmed);
        long nanos = 0;
        int consumed = 0;
        while (matcher.find() && matcher.start() == consumed) {
            double amount = Double.parseDouble(matcher.group(1));
            long unit = switch (matcher.group(2)) {
                case "ns" -> 1L;
                case "us", "µs" -> 1_000L;
                case "ms" -> 1_000_000L;
                case "s" -> 1_000_000_000L;
                case "m" -> 60_000_000_000L;
                default -> 3_600_000_000_000L;
            };
            nanos += (long) (amount * unit);
            consumed = matcher.end();
        }
        if (consumed == 0 || consumed != trimmed.length()) {
            throw new InvalidConfigException(field, "'" + text + "' is not a duration (examples: 60s, 5m, 1h30m)");
        }
        return Duration.ofNanos(nanos);
    }

    /** Formats a duration the way the configuration spells them ({@code 1m30s}). */
    public static String formatDuration(Duration duration) {
        if (duration.isZero()) {
            return "0s";
        }
        StringBuilder text = new StringBuilder();
        long hours = duration.toHours();
        int minutes = duration.toMinutesPart();
        int seconds = duration.toSecondsPart();
        int millis = duration.toMillisPart();
        if (hours > 0) {
            text.append(hours).append('h');
        }
        if (minutes > 0) {
            text.append(minutes).append('m');
        }
        if (seconds > 0 || millis > 0) {
            text.append(seconds);
            if (millis > 0) {
                text.append('.').append(String.format("%03d", millis).replaceAll("0+$", ""));
            }
            text.append('s');
        }
        return text.toString();
    }

    private static String describe(Object value) {
        return value instanceof String ? "'" + value + "'" : value + " (" + value.getClass().getSimpleName() + ")";
    }
}
