package dev.calicorr.core.plugin;

import dev.calicorr.core.config.InvalidConfigException;
import java.util.List;
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
 * <p>A plugin may also add subcommands to the {@code kube-controllers} command line with
 * {@link #commands()}, e.g. a tool that shows what the controller would do.
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

    /**
     * Subcommands this plugin adds to the {@code kube-controllers} command line: picocli command
     * objects (classes annotated with {@code @picocli.CommandLine.Command}, or {@code CommandLine}
     * instances), added with {@code CommandLine.addSubcommand} under their own command name. A
     * subcommand runs instead of the host (no informers, no leader election) and its exit code is
     * the process's. It writes its result to the {@code CommandLine}'s out and err writers
     * ({@code spec.commandLine().getOut()}); while it runs, the host's log goes to standard error so
     * that standard output holds the result alone. A name another plugin already took is skipped
     * with a warning. Called once at start, before the command line is parsed: build nothing heavy.
     */
    default List<Object> commands() {
        return List.of();
    }
}
