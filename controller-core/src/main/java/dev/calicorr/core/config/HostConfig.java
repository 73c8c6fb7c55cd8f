package dev.calicorr.core.config;

import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The host's effective settings: {@code KubeControllersConfiguration/default} spec merged with the
 * environment (environment wins, as in upstream kube-controllers).
 *
 * @param logLevel           SLF4J level name (TRACE, DEBUG, INFO, WARN, ERROR)
 * @param metricsPort        Prometheus port; 0 disables metrics (CR only, as upstream)
 * @param enabledControllers the names in {@code ENABLED_CONTROLLERS}, or empty when it is unset
 * @param controllerSections {@code spec.controllers} as decoded JSON, by controller name
 * @param environmentUsed    the variables that were set and consulted, for {@code status.environmentVars}
 */
public record HostConfig(
        String logLevel,
        boolean healthChecks,
        int metricsPort,
        Optional<Set<String>> enabledControllers,
        Map<String, Map<String, Object>> controllerSections,
        Map<String, String> environmentUsed) {

    public HostConfig {
        enabledControllers = enabledControllers.map(Set::copyOf);
        controllerSections = Map.copyOf(controllerSections);
        environmentUsed = Map.copyOf(environmentUsed);
    }

    /**
     * Whether a controller runs: named in {@code ENABLED_CONTROLLERS}, or, when that is unset, its
     * section is present under {@code spec.controllers}.
     */
    public boolean enabled(String controller) {
        return enabledControllers.map(names -> names.contains(controller))
                .orElseGet(() -> controllerSections.containsKey(controller));
    }

    /** The controller's section, or null when absent. */
    public Map<String, Object> section(String controller) {
        return controllerSections.get(controller);
    }
}
