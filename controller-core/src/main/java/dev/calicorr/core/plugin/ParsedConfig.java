package dev.calicorr.core.plugin;

import java.util.Map;
import java.util.Objects;

/**
 * A plugin's validated configuration.
 *
 * @param config          the typed value handed to the controller
 * @param effective       the same as plain JSON-like values, reported in {@code status.runningConfig}
 * @param environmentUsed the environment variables that were set and influenced it
 */
public record ParsedConfig<C>(C config, Map<String, Object> effective, Map<String, String> environmentUsed) {
    public ParsedConfig {
        Objects.requireNonNull(config, "config");
        effective = Map.copyOf(effective);
        environmentUsed = Map.copyOf(environmentUsed);
    }
}
