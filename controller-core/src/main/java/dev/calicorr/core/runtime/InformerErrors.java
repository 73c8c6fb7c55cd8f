package dev.calicorr.core.runtime;

import io.kubernetes.client.openapi.ApiException;
import java.time.Duration;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What an informer's list-and-watch loop does with a failure (it lists again by itself a moment
 * later): an answer of the apiserver, such as a 429 while it throttles a start, is one WARN line
 * per informer and {@link #REPEAT} instead of client-java's ERROR with a stack trace each second;
 * anything else, which would be a bug, is an ERROR with its stack trace.
 */
final class InformerErrors<T> implements BiConsumer<Class<T>, Throwable> {
    static final Duration REPEAT = Duration.ofSeconds(30);
    private static final Logger log = LoggerFactory.getLogger(InformerErrors.class);

    private long lastLogged = System.nanoTime() - REPEAT.toNanos();

    @Override
    public synchronized void accept(Class<T> type, Throwable failure) {
        if (!(failure instanceof ApiException answer)) {
            log.error("informer {}: list/watch failed: {}; it lists again", type.getSimpleName(), failure.toString(),
                    failure);
            return;
        }
        long now = System.nanoTime();
        if (now - lastLogged < REPEAT.toNanos()) {
            return;
        }
        lastLogged = now;
        String answered = answer.getCode() == 0 ? "gave no answer (" + answer.getMessage() + ")"
                : "answered " + answer.getCode() + (answer.getCode() == 429 ? " (too many requests)" : "");
        log.warn("informer {}: listing from the Kubernetes API failed: the API {}; it lists again shortly "
                + "(said at most every {} s)", type.getSimpleName(), answered, REPEAT.toSeconds());
    }
}
