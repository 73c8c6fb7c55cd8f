package dev.calicorr.routereflector.config;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One entry of {@code incompatibleLabels} / {@code preferredLabels}: a bare {@code key} matches a
 * node carrying that label with any value, {@code key=value} only that value.
 */
public record LabelMatch(String key, Optional<String> value) {

    public LabelMatch {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
    }

    public boolean matches(Map<String, String> labels) {
        String actual = labels.get(key);
        return actual != null && value.map(actual::equals).orElse(true);
    }

    public static boolean anyMatches(Iterable<LabelMatch> matches, Map<String, String> labels) {
        for (LabelMatch match : matches) {
            if (match.matches(labels)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return value.map(v -> key + "=" + v).orElse(key);
    }
}
