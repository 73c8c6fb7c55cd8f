package dev.calicorr.core.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.slf4j.LoggerFactory;

/** Changes the process log level at run time, as {@code logSeverityScreen} edits require. */
public final class LogLevels {
    private LogLevels() {
    }

    /** @param level an SLF4J level name (TRACE, DEBUG, INFO, WARN, ERROR) */
    public static void apply(String level) {
        if (LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME) instanceof Logger root) {
            root.setLevel(Level.toLevel(level, Level.INFO));
        }
    }
}
