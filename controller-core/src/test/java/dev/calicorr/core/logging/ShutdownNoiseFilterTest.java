package dev.calicorr.core.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.core.spi.FilterReply;
import io.kubernetes.client.openapi.ApiException;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import org.junit.jupiter.api.Test;

/** Which informer ERROR lines are a clean shutdown's noise, judged as client-java writes them. */
class ShutdownNoiseFilterTest {
    private static final String REFLECTOR_FAILED =
            "class io.kubernetes.client.openapi.models.V1Node#Reflector loop failed unexpectedly";

    private final LoggerContext context = new LoggerContext();
    private final ShutdownNoiseFilter filter = new ShutdownNoiseFilter();

    private FilterReply decide(String logger, String format, Throwable t) {
        Logger named = context.getLogger(logger);
        return filter.decide(null, named, Level.ERROR, format, null, t);
    }

    @Test
    void aListOrWatchInterruptedByTheShutdownIsDropped() {
        assertThat(decide("io.kubernetes.client.informer.cache.ReflectorRunnable", REFLECTOR_FAILED,
                new ApiException(new InterruptedIOException()))).isEqualTo(FilterReply.DENY);
    }

    @Test
    void aReflectorTimeoutIsStillLogged() {
        assertThat(decide("io.kubernetes.client.informer.cache.ReflectorRunnable", REFLECTOR_FAILED,
                new ApiException(new SocketTimeoutException("timeout")))).isEqualTo(FilterReply.NEUTRAL);
    }

    @Test
    void aReflectorFailureOtherThanAnInterruptIsStillLogged() {
        assertThat(decide("io.kubernetes.client.informer.cache.ReflectorRunnable", REFLECTOR_FAILED,
                new IllegalStateException("decoding failed"))).isEqualTo(FilterReply.NEUTRAL);
    }

    @Test
    void theInterruptLinesOfTheInformerLoopsAreDropped() {
        assertThat(decide("io.kubernetes.client.informer.cache.ProcessorListener", "processor interrupted: {}",
                new InterruptedException())).isEqualTo(FilterReply.DENY);
        assertThat(decide("io.kubernetes.client.informer.cache.Controller",
                "DefaultController#processLoop get interrupted {}", new InterruptedException()))
                .isEqualTo(FilterReply.DENY);
    }

    @Test
    void anEventHandlerExceptionIsStillLogged() {
        assertThat(decide("io.kubernetes.client.informer.cache.ProcessorListener",
                "ProcessorListener#onAdd threw exception", new IllegalStateException("handler bug")))
                .isEqualTo(FilterReply.NEUTRAL);
    }

    @Test
    void anInterruptLoggedByAnyOtherLoggerIsKept() {
        assertThat(decide("dev.calicorr.routereflector.Reconciler", REFLECTOR_FAILED,
                new ApiException(new InterruptedIOException()))).isEqualTo(FilterReply.NEUTRAL);
    }
}
