package dev.calicorr.core.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.calicorr.core.kube.ConfigurationStore;
import dev.calicorr.core.kube.KubeControllersConfiguration;
import dev.calicorr.testsupport.ControlPlane;
import dev.calicorr.testsupport.RealControlPlane;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** A clean stop while the apiserver does not answer at all. */
@RealControlPlane
class ShutdownIT {
    /** Every request of this client hangs (for 10 minutes) once {@code blackholed} is set. */
    private static ApiClient blackholing(ApiClient client, AtomicBoolean blackholed) {
        client.setHttpClient(client.getHttpClient().newBuilder().addInterceptor(chain -> {
            if (blackholed.get()) {
                try {
                    Thread.sleep(Duration.ofMinutes(10).toMillis());
                } catch (InterruptedException e) {
                    throw new InterruptedIOException("interrupted in the blackhole");
                }
                throw new IOException("blackholed");
            }
            return chain.proceed(chain.request());
        }).build());
        return client;
    }

    @Test
    void aStopWithAnApiserverThatDoesNotAnswerEndsWithoutReleasingTheLease(ControlPlane cp) throws Exception {
        ConfigurationStore.api(cp.adminClient()).create(new KubeControllersConfiguration(new V1ObjectMeta()
                .name("default"), Map.of("prometheusMetricsPort", 0, "controllers", Map.of())));
        AtomicBoolean blackholed = new AtomicBoolean();
        RecordingPlugin plugin = new RecordingPlugin();
        HostOptions options = HostOptions.defaults(Map.of("ENABLED_CONTROLLERS", "recording"), "a")
                .withHealth("127.0.0.1", 0)
                .withLease("kube-system", "calico-rr-controller", Duration.ofSeconds(4), Duration.ofSeconds(3),
                        Duration.ofMillis(500));
        Host host = new Host(options, blackholing(cp.newControllerClient(), blackholed),
                blackholing(cp.newControllerClient(), blackholed), List.of(plugin), () -> { });
        host.start();
        Instant deadline = Instant.now().plusSeconds(30);
        while (!host.isLeader() && Instant.now().isBefore(deadline)) {
            Thread.sleep(50);
        }
        assertThat(host.isLeader()).isTrue();

        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        ((Logger) LoggerFactory.getLogger(Host.class)).addAppender(log);
        try {
            blackholed.set(true);
            Thread stopping = new Thread(host::close, "stopping");
            stopping.start();
            // unbounded, the release would wait for the blackhole's 10 minutes
            stopping.join(Duration.ofSeconds(60).toMillis());
            assertThat(stopping.isAlive()).as("close() still running").isFalse();
            assertThat(log.list).anyMatch(e -> e.getFormattedMessage().startsWith(
                    "could not release the leader Lease kube-system/calico-rr-controller within"));
        } finally {
            ((Logger) LoggerFactory.getLogger(Host.class)).detachAppender(log);
        }
    }
}
