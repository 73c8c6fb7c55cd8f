package dev.calicorr.core.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.util.Map;
import org.slf4j.Marker;

/**
 * Drops the ERROR lines client-java's informers write for the interrupts of a clean shutdown, and
 * nothing else of those loggers: an exception thrown by an informer event handler must still be
 * logged, and those loggers are where it is. Installed by the logback configurations as a
 * {@code turboFilter}.
 *
 * <p>Two lines are the interrupt itself ({@code processor interrupted}, {@code processLoop get
 * interrupted}). The third is the reflector's {@code Reflector loop failed unexpectedly} when a list
 * or a watch was under way as the informer stopped: its exception then carries the HTTP client's
 * {@link InterruptedIOException}. A {@link SocketTimeoutException} is one too, but a timeout is not a
 * shutdown, so it is still logged.
 */
public final class ShutdownNoiseFilter extends TurboFilter {
    private static final Map<String, String> SHUTDOWN_MESSAGES = Map.of(
            "io.kubernetes.client.informer.cache.ProcessorListener", "processor interrupted",
            "io.kubernetes.client.informer.cache.Controller", "DefaultController#processLoop get interrupted");
    private static final String REFLECTOR = "io.kubernetes.client.informer.cache.ReflectorRunnable";
    private static final String REFLECTOR_FAILED = "#Reflector loop failed unexpectedly";
    private static final int CAUSE_DEPTH = 8;

    @Override
    public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params,
            Throwable t) {
        if (format == null) {
            return FilterReply.NEUTRAL;
        }
        String prefix = SHUTDOWN_MESSAGES.get(logger.getName());
        if (prefix != null && format.startsWith(prefix)) {
            return FilterReply.DENY;
        }
        return REFLECTOR.equals(logger.getName()) && format.endsWith(REFLECTOR_FAILED) && interrupted(t)
                ? FilterReply.DENY : FilterReply.NEUTRAL;
    }

    private static boolean interrupted(Throwable t) {
        Throwable cause = t;
        for (int depth = 0; cause != null && depth < CAUSE_DEPTH; depth++, cause = cause.getCause()) {
            if (cause instanceof InterruptedIOException && !(cause instanceof SocketTimeoutException)
                    || cause instanceof InterruptedException) {
                return true;
            }
        }
        return false;
    }
}
