package dev.calicorr.core.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import java.util.Map;
import org.slf4j.Marker;

/**
 * Drops the two ERROR lines client-java's informers write for every interrupt of a clean shutdown
 * ({@code processor interrupted}, {@code processLoop get interrupted}), and nothing else of those
 * loggers: an exception thrown by an informer event handler must still be logged, and those two
 * loggers are where it is. Installed by the logback configurations as a {@code turboFilter}.
 */
public final class ShutdownNoiseFilter extends TurboFilter {
    private static final Map<String, String> SHUTDOWN_MESSAGES = Map.of(
            "io.kubernetes.client.informer.cache.ProcessorListener", "processor interrupted",
            "io.kubernetes.client.informer.cache.Controller", "DefaultController#processLoop get interrupted");

    @Override
    public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params,
            Throwable t) {
        String prefix = SHUTDOWN_MESSAGES.get(logger.getName());
        return prefix != null && format != null && format.startsWith(prefix) ? FilterReply.DENY : FilterReply.NEUTRAL;
    }
}
