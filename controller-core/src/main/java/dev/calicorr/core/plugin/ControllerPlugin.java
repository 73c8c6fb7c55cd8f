package dev.calicorr.core.plugin;

import dev.calicorr.core.config.InvalidConfigException;
import java.util.Map;

/**
 * A controller the host can run, found with {@link java.util.ServiceLoader}: list the
 * implementation in {@code META-INF/services/dev.calicorr.core.plugin.ControllerPlugin} of the
 * plugin's jar and it becomes available under {@link #name()}, with no change to the host.
 *
 * <p>The host calls {@link #parseConfig} with the plugin's own section of
 * {@code KubeControllersConfiguration/default} (and again on every edit), {@link #create} once when
 * the first valid configuration is known, and then hands later valid configurations to
 * {@link ManagedController#configChanged}. An invalid edit is rejected by the host (log line, Event,
 * metric) and never reaches the controller, which keeps running on its last good configuration.
 *
 * @param <C> the plugin's typed, validated configuration
 */
public interface ControllerPlugin<C> {

    /** The name used in {@code ENABLED_CONTROLLERS} and as the key under {@code spec.controllers}. */
    String name();

    /**
     * Parses and validates the effective configuration: the section merged with the environment,
     * environment winning field by field. Must be pure: no I/O, no {@code System.getenv()}.
     *
     * @param section     {@code spec.controllers.<name>} as decoded JSON, or null when absent
     * @param environment the process environment
     * @throws InvalidConfigException naming the field when a value cannot be used
     */
    ParsedConfig<C> parseConfig(Map<String, Object> section, Map<String, String> environment)
            throws InvalidConfigException;

    /**
     * Registers the plugin's informers through {@code context} and builds its controller. Called
     * once, before the informers it registers are started; the controller only runs while this
     * replica leads.
     */
    ManagedController<C> create(ControllerContext context, C config);
}
