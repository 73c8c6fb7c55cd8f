package dev.calicorr.core.runtime;

import dev.calicorr.core.config.InvalidConfigException;
import dev.calicorr.core.plugin.ControllerContext;
import dev.calicorr.core.plugin.ControllerPlugin;
import dev.calicorr.core.plugin.ManagedController;
import dev.calicorr.core.plugin.ParsedConfig;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One plugin's life in the host: its last good configuration, its controller (created on the first
 * valid configuration) and the thread running it while this replica leads.
 */
final class PluginSlot<C> {
    private static final Logger log = LoggerFactory.getLogger(PluginSlot.class);

    private final ControllerPlugin<C> plugin;
    private final ControllerContext context;
    private ParsedConfig<C> current;
    private ManagedController<C> controller;
    private Thread thread;
    private String lastRejection;
    private boolean disabled;

    PluginSlot(ControllerPlugin<C> plugin, ControllerContext context) {
        this.plugin = plugin;
        this.context = context;
    }

    String name() {
        return plugin.name();
    }

    /**
     * Validates a (possibly) new section and hands it to the controller, creating the controller on
     * the first valid one. An invalid section changes nothing.
     *
     * @return whether the effective configuration changed
     */
    synchronized boolean offer(Map<String, Object> section, Map<String, String> env) throws InvalidConfigException {
        ParsedConfig<C> parsed = plugin.parseConfig(section, env);
        lastRejection = null;
        if (disabled) {
            disabled = false;
            log.info("controller={} enabled again with {}", name(), parsed.effective());
            current = parsed;
            controller.configChanged(parsed.config());
            return true;
        }
        if (parsed.equals(current)) {
            return false;
        }
        ParsedConfig<C> previous = current;
        current = parsed;
        if (controller == null) {
            log.info("controller={} configured {}", name(), parsed.effective());
            controller = plugin.create(context, parsed.config());
        } else {
            log.info("controller={} configuration changed from {} to {}", name(), previous.effective(), parsed.effective());
            controller.configChanged(parsed.config());
        }
        return true;
    }

    /**
     * The controller is no longer enabled (its section was removed and {@code ENABLED_CONTROLLERS}
     * does not name it): tells it once, so it stops changing the cluster. The next valid
     * {@link #offer} enables it again.
     *
     * @return whether this call disabled it (false: never created, or disabled already)
     */
    synchronized boolean disable() {
        if (controller == null || disabled) {
            return false;
        }
        disabled = true;
        log.info("controller={} disabled: its section is gone from the configuration and ENABLED_CONTROLLERS "
                + "does not name it; it stops changing the cluster", name());
        controller.disabled();
        return true;
    }

    synchronized boolean disabled() {
        return disabled;
    }

    /**
     * Records a rejection; returns false when this exact rejection (the edit and its problem) was
     * reported last time, so a re-read of the same edit does not repeat it.
     */
    synchronized boolean firstRejection(String problem) {
        boolean first = !problem.equals(lastRejection);
        lastRejection = problem;
        return first;
    }

    synchronized ParsedConfig<C> current() {
        return current;
    }

    synchronized boolean hasController() {
        return controller != null;
    }

    /** Starts the controller's thread if it exists and does not run yet. */
    synchronized void run() {
        if (controller == null || thread != null) {
            return;
        }
        ManagedController<C> running = controller;
        thread = new Thread(() -> {
            try {
                running.run();
            } catch (RuntimeException e) {
                log.error("controller={} stopped with an error: {}", name(), e.toString(), e);
            }
        }, "controller-" + name());
        thread.setDaemon(true);
        thread.start();
    }

    /** Whether the controller runs (or was never started): false only after it died. */
    synchronized boolean alive() {
        return thread == null || thread.isAlive();
    }

    synchronized void stop() {
        if (controller != null) {
            controller.shutdown();
        }
        if (thread != null) {
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            thread = null;
        }
    }
}
