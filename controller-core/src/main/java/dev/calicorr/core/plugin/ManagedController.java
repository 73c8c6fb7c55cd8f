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

    /** A new, valid configuration; effective without a restart. Called on the host's config thread. */
    void configChanged(C config);
}
