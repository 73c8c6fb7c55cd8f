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
import io.kubernetes.client.openapi.ApiClient;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Retries and backoff against the real apiserver: its answers are made to fail with admission
 * (a ValidatingAdmissionPolicy, a webhook nobody serves) and with its own priority and fairness
 * throttling (429), for the controller's identity only.
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

    @Test
    void throttlingAtStartIsOneWarningAndAThrottledWriteIsRetriedInsideTheStep(ControlPlane cp) throws Exception {
        plane = cp;
        new SimulatedNodes(cp.adminClient()).createMany("node", 0, 9, ZONES);
        AtomicBoolean holding = new AtomicBoolean(true);
        try (ServerSocket silent = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
                CapturedLog log = new CapturedLog()) {
            Thread acceptor = new Thread(() -> acceptAndNeverAnswer(silent), "silent-webhook");
            acceptor.setDaemon(true);
            acceptor.start();
            Admission.holdSeatsAt(cp, silent.getLocalPort());
            Admission.throttleControllerNodes(cp, "list", "patch");
            // keeps one request of the throttled priority level running, so the others get 429
            ApiClient holderClient = cp.newControllerClient();
            holderClient.setReadTimeout((int) Duration.ofSeconds(40).toMillis());
            Thread holder = new Thread(() -> {
                while (holding.get()) {
                    Admission.holdingPatch(cp, holderClient, "node-008");
                }
            }, "seat-holder");
            holder.setDaemon(true);
            holder.start();
            await("the controller's node list to be throttled", () -> Admission.probeNodeList(cp) == 429);

            start(cp);
            await("one warning for the throttled node list", () -> log.lines().stream().anyMatch(line ->
                    line.startsWith("WARN [InformerErrors] informer V1Node") && line.contains("429")));
            Admission.throttleControllerNodes(cp, "patch"); // lists pass again: the informer syncs
            await("a node patch of the controller answered 429", () -> cp.controllerWrites().stream()
                    .anyMatch(w -> "nodes".equals(w.resource()) && w.code() == 429 && !w.dryRun()));
            holding.set(false);
            Admission.removeAll(cp);
            awaitTopology(cp, SECTION, 3);

            assertThat(counter(host, "calico_rr_reconcile_errors_total")).as("reconciles stopped by 429s").isZero();
            assertThat(log.lines()).filteredOn(line -> line.startsWith("ERROR")).isEmpty();
            assertThat(log.lines()).filteredOn(line -> line.contains("[InformerErrors]")).hasSize(1);
            // priority and fairness asks for at least a second (Retry-After, in whole seconds): that wait, not 250 ms
            assertThat(log.lines()).filteredOn(line -> line.contains("[Responses]") && line.contains(" 429 "))
                    .isNotEmpty().allMatch(line -> line.startsWith("WARN"))
                    .allMatch(line -> line.matches(".*retrying in [1-9][0-9]{3,} ms.*"), "waits of a second or more");
        } finally {
            holding.set(false);
        }
    }

    /** Accepts connections and keeps them open without a byte: a webhook that never answers. */
    private static void acceptAndNeverAnswer(ServerSocket socket) {
        java.util.List<java.net.Socket> open = new java.util.ArrayList<>();
        try {
            while (!socket.isClosed()) {
                open.add(socket.accept());
            }
        } catch (java.io.IOException e) {
            // closed by the test
        } finally {
            open.forEach(s -> {
                try {
                    s.close();
                } catch (java.io.IOException ignored) {
                    // closing anyway
                }
            });
        }
    }

    private static int closedPort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort(); // closed again: nobody serves the webhook there
        }
    }
}
