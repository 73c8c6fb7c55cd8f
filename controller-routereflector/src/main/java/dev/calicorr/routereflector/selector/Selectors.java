package dev.calicorr.routereflector.selector;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.stream.Collectors;

/** The selector expression nodes, and helpers to build selector text with safe quoting. */
public final class Selectors {
    static final Selector ALL = new All();

    private Selectors() {
    }

    /** {@code has(key)}. */
    public static String has(String key) {
        return "has(" + key + ")";
    }

    /** {@code key == 'value'}. */
    public static String equal(String key, String value) {
        return key + " == " + quote(value);
    }

    /** {@code key in {'a', 'b'}}, values sorted so the text is stable. */
    public static String in(String key, Collection<String> values) {
        return key + " in {" + new TreeSet<>(values).stream().map(Selectors::quote).collect(Collectors.joining(", "))
                + "}";
    }

    /**
     * The values of a {@code key in {...}} selector as {@link #in} writes it, alone or as the last
     * alternative of an {@code ||} (what a selector that was widened to {@code (old) || (new)} will
     * narrow to); empty for any other shape.
     */
    public static Optional<SortedSet<String>> lastIn(Selector selector, String key) {
        Selector last = selector instanceof Or or ? or.parts().get(or.parts().size() - 1) : selector;
        return last instanceof In in && in.key().equals(key) && !in.negated() ? Optional.of(in.values())
                : Optional.empty();
    }

    /** Single quotes unless the value holds one; Calico has no escapes inside quotes. */
    static String quote(String value) {
        if (value.indexOf('\'') < 0) {
            return "'" + value + "'";
        }
        if (value.indexOf('"') < 0) {
            return "\"" + value + "\"";
        }
        throw new IllegalArgumentException("a selector value cannot hold both quote characters: " + value);
    }

    record All() implements Selector {
        @Override
        public boolean matches(Map<String, String> labels) {
            return true;
        }

        @Override
        public String toString() {
            return "all()";
        }
    }

    record Has(String key) implements Selector {
        @Override
        public boolean matches(Map<String, String> labels) {
            return labels.containsKey(key);
        }

        @Override
        public String toString() {
            return has(key);
        }
    }

    record Equals(String key, String value, boolean negated) implements Selector {
        @Override
        public boolean matches(Map<String, String> labels) {
            return Objects.equals(labels.get(key), value) != negated;
        }

        @Override
        public String toString() {
            return key + (negated ? " != " : " == ") + quote(value);
        }
    }

    record In(String key, SortedSet<String> values, boolean negated) implements Selector {
        @Override
        public boolean matches(Map<String, String> labels) {
            String actual = labels.get(key);
            return (actual != null && values.contains(actual)) != negated;
        }

        @Override
        public String toString() {
            return key + (negated ? " not in {" : " in {")
                    + values.stream().map(Selectors::quote).collect(Collectors.joining(", ")) + "}";
        }
    }

    record Not(Selector inner) implements Selector {
        @Override
        public boolean matches(Map<String, String> labels) {
            return !inner.matches(labels);
        }

        @Override
        public String toString() {
            return "!" + operand(inner);
        }
    }

    record And(List<Selector> parts) implements Selector {
        @Override
        public boolean matches(Map<String, String> labels) {
            for (Selector part : parts) {
                if (!part.matches(labels)) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public String toString() {
            return parts.stream().map(p -> p instanceof Or ? "(" + p + ")" : p.toString())
                    .collect(Collectors.joining(" && "));
        }
    }

    record Or(List<Selector> parts) implements Selector {
        @Override
        public boolean matches(Map<String, String> labels) {
            for (Selector part : parts) {
                if (part.matches(labels)) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public String toString() {
            return parts.stream().map(Selector::toString).collect(Collectors.joining(" || "));
        }
    }

    private static String operand(Selector selector) {
        return selector instanceof And || selector instanceof Or || selector instanceof Equals || selector instanceof In
                ? "(" + selector + ")" : selector.toString();
    }
}
