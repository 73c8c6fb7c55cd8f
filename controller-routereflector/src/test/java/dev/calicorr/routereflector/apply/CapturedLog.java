package dev.calicorr.routereflector.apply;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/** The log lines written while it is open, as an operator would read them: level, logger, message. */
final class CapturedLog implements AutoCloseable {
    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    CapturedLog() {
        appender.start();
        root.addAppender(appender);
    }

    List<String> lines() {
        synchronized (appender) { // appends hold the appender's lock
            return appender.list.stream()
                    .map(e -> e.getLevel() + " [" + e.getLoggerName().substring(e.getLoggerName().lastIndexOf('.') + 1)
                            + "] " + e.getFormattedMessage())
                    .toList();
        }
    }

    @Override
    public void close() {
        root.detachAppender(appender);
        appender.stop();
    }
}
