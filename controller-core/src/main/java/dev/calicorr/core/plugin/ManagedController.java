package dev.calicorr.core.plugin;

/**
 * A running controller of a plugin. {@link #run()} blocks until {@link #shutdown()}; the host calls
 * it on the leader only, on a thread of its own.
 *
 * @param <C> the plugin's configuration type
 */
public interface ManagedController<C> {

    /** Reconciles until shut down. Must not throw for API errors: retry with backoff instead. */
    void run();

    void shutdown();

    /**
     * A new, valid configuration; effective without a restart. Called on the host's config thread.
     * After {@link #disabled()} it also enables the controller again, even with an unchanged configuration.
     */
    void configChanged(C config);

    /**
     * The controller is no longer enabled: its section was removed from the configuration and
     * {@code ENABLED_CONTROLLERS} does not name it. It must stop changing the cluster, except to undo
     * what must not outlive it; it stays created (informers, metrics) so {@link #configChanged}
     * can enable it again. Called on the host's config thread, on every replica; a replica that
     * does not lead acts on it once it leads. Not called on shutdown or on a change of leader.
     */
    default void disabled() {
    }
}
