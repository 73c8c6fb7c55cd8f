package dev.calicorr.routereflector.apply;

import static dev.calicorr.routereflector.apply.LiveChecks.ZONES;
import static dev.calicorr.routereflector.apply.LiveChecks.await;
import static dev.calicorr.routereflector.apply.LiveChecks.awaitTopology;
import static dev.calicorr.routereflector.apply.LiveChecks.counter;
import static dev.calicorr.routereflector.apply.LiveChecks.createConfiguration;
import static dev.calicorr.routereflector.apply.LiveChecks.newHost;
import static org.assertj.core.api.Assertions.assertThat;

import dev.calicorr.core.runtime.Host;
import dev.calicorr.testsupport.ControlPlane;
import dev.calicorr.testsupport.RealControlPlane;
import dev.calicorr.testsupport.SimulatedNodes;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Retries and backoff against the real apiserver: its answers are made to fail with admission
 * (a ValidatingAdmissionPolicy, a webhook nobody serves), for the controller's identity only.
 */
@RealControlPlane
class RetriesIT {
    private static final Duration LEASE = Duration.ofSeconds(4);
    private static final Map<String, Object> SECTION = Map.of("ratio", 0.1, "removalDelay", "1s");

    private Host host;
    private ControlPlane plane;
    private final AtomicReference<RouteReflectorController> controller = new AtomicReference<>();

    @AfterEach
    void stop() {
        if (host != null) {
            host.close();
        }
        if (plane != null) {
            Admission.removeAll(plane);
        }
    }

    private void start(ControlPlane cp) throws Exception {
        plane = cp;
        createConfiguration(cp, SECTION);
        host = newHost(cp, new CapturingPlugin(controller), "it", LEASE);
        host.start();
    }

    @Test
    void aFinishedReconcileForgetsTheFailuresBeforeIt(ControlPlane cp) throws Exception {
        plane = cp;
        new SimulatedNodes(cp.adminClient()).createMany("node", 0, 9, ZONES);
        Admission.denyControllerBgpPeerCreates(cp);
        start(cp);
        await("three failed reconciles", () -> counter(host, "calico_rr_reconcile_errors_total") >= 3);
        assertThat(controller.get().failuresCounted()).isGreaterThanOrEqualTo(3);

        Admission.removeAll(cp);
        awaitTopology(cp, SECTION, 3);
        // without forgetting, the next failure would wait 200 ms * 2^failures (up to 30 s)
        await("the backoff to forget the failures", () -> controller.get().failuresCounted() == 0);
    }

    @Test
    void aServerErrorIsRetriedInsideTheStep(ControlPlane cp) throws Exception {
        new SimulatedNodes(cp.adminClient()).createMany("node", 0, 9, ZONES);
        plane = cp;
        Admission.failControllerNodePatches(cp, closedPort());
        start(cp);
        await("two node patches answered 500", () -> cp.controllerWrites().stream()
                .filter(w -> "nodes".equals(w.resource()) && w.code() == 500 && !w.dryRun()).count() >= 2);

        Admission.removeAll(cp);
        awaitTopology(cp, SECTION, 3);
        assertThat(counter(host, "calico_rr_reconcile_errors_total")).as("reconciles stopped by the 500s").isZero();
    }

    private static int closedPort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort(); // closed again: nobody serves the webhook there
        }
    }
}
