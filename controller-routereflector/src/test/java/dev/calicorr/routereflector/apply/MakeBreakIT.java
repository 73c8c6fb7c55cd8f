package dev.calicorr.routereflector.apply;

import static dev.calicorr.routereflector.apply.LiveChecks.ZONES;
import static dev.calicorr.routereflector.apply.LiveChecks.await;
import static dev.calicorr.routereflector.apply.LiveChecks.awaitTopology;
import static dev.calicorr.routereflector.apply.LiveChecks.awaitTwoMoreReconciles;
import static dev.calicorr.routereflector.apply.LiveChecks.counter;
import static dev.calicorr.routereflector.apply.LiveChecks.createConfiguration;
import static dev.calicorr.routereflector.apply.LiveChecks.events;
import static dev.calicorr.routereflector.apply.LiveChecks.gauge;
import static dev.calicorr.routereflector.apply.LiveChecks.newHost;
import static dev.calicorr.routereflector.apply.LiveChecks.observed;
import static dev.calicorr.routereflector.apply.LiveChecks.reflectorNames;
import static org.assertj.core.api.Assertions.assertThat;

import dev.calicorr.core.runtime.Host;
import dev.calicorr.routereflector.RouteReflectorPlugin;
import dev.calicorr.routereflector.kube.BgpPeer;
import dev.calicorr.routereflector.model.Names;
import dev.calicorr.routereflector.model.NodeFacts;
import dev.calicorr.routereflector.model.PeerFacts;
import dev.calicorr.routereflector.standin.CalicoNodeStandIn;
import dev.calicorr.testsupport.AuditedWrite;
import dev.calicorr.testsupport.ControlPlane;
import dev.calicorr.testsupport.RealControlPlane;
import dev.calicorr.testsupport.SimulatedNodes;
import io.kubernetes.client.openapi.models.CoreV1Event;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The break steps of a change wait for the BGP sessions its make steps created, on the real control
 * plane: an RR is cordoned, its replacement is promoted and the group peers are widened to old and
 * new RRs (make); narrowing them (break) waits until calico-node (the stand-in, which reports the
 * replacement's sessions in Connect until the test lets them up) shows them Established, and where
 * the CalicoNodeStatus CRD is missing, for sessionSettleDelay after the last write; so does the
 * deletion of an adopted legacy peer.
 */
@RealControlPlane
class MakeBreakIT {
    private static final Duration LEASE = Duration.ofSeconds(4);

    private Host host;
    private CalicoNodeStandIn calicoNode;

    @AfterEach
    void stop() {
        if (host != null) {
            host.close();
        }
        if (calicoNode != null) {
            calicoNode.close();
        }
    }

    private void start(ControlPlane cp, Map<String, Object> section) throws Exception {
        createConfiguration(cp, section);
        host = newHost(cp, new RouteReflectorPlugin(), "it", LEASE);
        host.start();
    }

    /** Whether some BGPPeer of ours is in its make form (old and new RRs). */
    private static boolean widened(ControlPlane cp) {
        return observed(cp).ownedPeers().stream().map(PeerFacts::peerSelector).anyMatch(s -> s.contains("||"));
    }

    private static List<CoreV1Event> waitingEvents(ControlPlane cp) {
        return events(cp).stream().filter(e -> "WaitingForBGPSessions".equals(e.getReason())).toList();
    }

    private static boolean isReflector(NodeFacts node) {
        return node.labels().containsKey(LiveChecks.RR);
    }

    @Test
    void narrowingThePeersWaitsForTheReplacementsSessionsAndRunsOnceTheyAreEstablished(ControlPlane cp)
            throws Exception {
        new SimulatedNodes(cp.adminClient()).createMany("node", 0, 30, ZONES);
        calicoNode = new CalicoNodeStandIn(cp.adminClient()).start();
        Map<String, Object> section = Map.of("ratio", 0.1, "removalDelay", "1s", "sessionStuckAfter", "10m");
        start(cp, section);
        Set<String> first = reflectorNames(awaitTopology(cp, section, 3));
        await("the first RRs' sessions are reported", () -> first.stream()
                .allMatch(rr -> gauge(host, "calico_rr_bgp_sessions_established", rr) != null));

        try (CapturedLog log = new CapturedLog()) {
            // from now on the sessions of any new RR stay in Connect, until the test lets them up
            calicoNode.sessionStates((local, peer) -> isReflector(local) && !first.contains(local.name())
                    || isReflector(peer) && !first.contains(peer.name()) ? CalicoNodeStandIn.CONNECT
                            : CalicoNodeStandIn.ESTABLISHED);
            String cordoned = new TreeSet<>(first).first();
            new SimulatedNodes(cp.adminClient()).cordon(cordoned, true);
            await("the replacement serves and the peers select old and new RRs", () -> widened(cp)
                    && observed(cp).nodes().stream().filter(n -> isReflector(n) && !first.contains(n.name()))
                            .anyMatch(n -> n.annotations().containsKey(Names.CLUSTER_ID_ANNOTATION)));
            String replacement = reflectorNames(observed(cp)).stream().filter(n -> !first.contains(n)).findFirst()
                    .orElseThrow();
            await("the wait is announced", () -> waitingEvents(cp).size() == 1);
            CoreV1Event event = waitingEvents(cp).get(0);
            assertThat(event.getType()).isEqualTo("Normal");
            assertThat(event.getInvolvedObject().getName()).isEqualTo(replacement);
            assertThat(event.getMessage()).startsWith("waiting for ").contains(" BGP sessions of " + replacement)
                    .contains(" before narrowing BGPPeer " + Names.PEER_NAME_PREFIX + "group-")
                    .doesNotContain("sessionSettleDelay"); // calico-node reports here: the reports decide

            // more reconciles while the sessions stay down: still widened, announced and counted once
            awaitTwoMoreReconciles(host, cp);
            awaitTwoMoreReconciles(host, cp);
            assertThat(widened(cp)).as("the peers still select the cordoned RR").isTrue();
            assertThat(reflectorNames(observed(cp))).contains(cordoned);
            assertThat(waitingEvents(cp)).hasSize(1).allMatch(e -> e.getCount() == null || e.getCount() == 1);
            assertThat(counter(host, "calico_rr_changes_held_back_total")).isEqualTo(1.0);
            assertThat(log.lines()).filteredOn(l -> l.contains("reason=bgp-sessions-not-up")).hasSize(1)
                    .allMatch(l -> l.contains(replacement));

            // the replacement's sessions come up: the peers are narrowed, after that and not before
            Instant allowed = Instant.now();
            calicoNode.allEstablished();
            await("the peers are narrowed", () -> !widened(cp));
            List<AuditedWrite> peerPatches = cp.controllerWrites().stream()
                    .filter(w -> "bgppeers".equals(w.resource()) && "patch".equals(w.verb())).toList();
            assertThat(peerPatches.get(peerPatches.size() - 1).at()).isAfter(allowed);
            assertThat(log.lines()).anyMatch(l -> l.contains("the BGP sessions are up after"));
            await("the cordoned RR is demoted", () -> !reflectorNames(observed(cp)).contains(cordoned));
            assertThat(reflectorNames(awaitTopology(cp, section, 3))).contains(replacement);
        }
    }

    @Test
    void anAdoptedLegacyPeerIsDeletedOnlySessionSettleDelayAfterTheTopologysLastWrite(ControlPlane cp)
            throws Exception {
        var removed = cp.kubectl("delete", "crd", "caliconodestatuses.crd.projectcalico.org", "--wait=true");
        assertThat(removed.exitCode()).as(removed.stderr()).isZero();
        try {
            BgpPeer legacy = new BgpPeer(new V1ObjectMeta().name("rrs-to-rrs"), new BgpPeer.Spec("has(x)", "has(x)"));
            assertThat(LiveChecks.peers(cp).create(legacy).isSuccess()).isTrue();
            new SimulatedNodes(cp.adminClient()).createMany("node", 0, 30, ZONES);
            Map<String, Object> section = Map.of("ratio", 0.1, "adoptLegacyPeers", true, "sessionSettleDelay", "6s");
            start(cp, section);
            awaitTopology(cp, section, 3);
            await("the legacy peer is deleted", () -> LiveChecks.peers(cp).get("rrs-to-rrs").getHttpStatusCode() == 404);

            List<AuditedWrite> writes = cp.controllerWrites();
            AuditedWrite deleted = writes.stream().filter(w -> "delete".equals(w.verb()) && "rrs-to-rrs".equals(w.name()))
                    .findFirst().orElseThrow();
            AuditedWrite lastOfTopology = writes.stream().filter(w -> w.at().isBefore(deleted.at()))
                    .filter(w -> "nodes".equals(w.resource()) || "bgppeers".equals(w.resource()))
                    .reduce((a, b) -> b).orElseThrow();
            // the apiserver's own clock on both: the controller waited 6 s after its last topology write
            assertThat(Duration.between(lastOfTopology.at(), deleted.at())).isGreaterThan(Duration.ofMillis(5500));
        } finally {
            cp.installCrds();
        }
    }

    @Test
    void withoutTheCalicoNodeStatusCrdTheBreakStepsWaitSessionSettleDelayAfterTheLastWrite(ControlPlane cp)
            throws Exception {
        var removed = cp.kubectl("delete", "crd", "caliconodestatuses.crd.projectcalico.org", "--wait=true");
        assertThat(removed.exitCode()).as(removed.stderr()).isZero();
        try (CapturedLog log = new CapturedLog()) {
            new SimulatedNodes(cp.adminClient()).createMany("node", 0, 30, ZONES);
            Duration settle = Duration.ofSeconds(8);
            Map<String, Object> section = Map.of("ratio", 0.1, "removalDelay", "1s", "sessionSettleDelay", "8s");
            start(cp, section);
            Set<String> first = reflectorNames(awaitTopology(cp, section, 3));

            String cordoned = new TreeSet<>(first).first();
            new SimulatedNodes(cp.adminClient()).cordon(cordoned, true);
            Instant deadline = Instant.now().plus(LiveChecks.TIMEOUT);
            Instant widenedAt = null;
            Instant narrowedAt = null;
            while (narrowedAt == null && Instant.now().isBefore(deadline)) {
                boolean now = widened(cp);
                if (now && widenedAt == null) {
                    widenedAt = Instant.now();
                } else if (!now && widenedAt != null) {
                    narrowedAt = Instant.now();
                }
                Thread.sleep(100);
            }
            assertThat(widenedAt).as("the make phase widened the peers").isNotNull();
            assertThat(narrowedAt).as("the break phase narrowed them").isNotNull();
            // seen here within 100 ms of each write; the controller waited 8 s after its last make write
            assertThat(Duration.between(widenedAt, narrowedAt)).isGreaterThan(settle.minusMillis(500));
            assertThat(waitingEvents(cp)).anySatisfy(e -> assertThat(e.getMessage()).contains("sessionSettleDelay"));
            assertThat(log.lines()).filteredOn(l -> l.contains("reason=bgp-sessions-not-up")
                    && l.contains("before narrowing BGPPeer")).hasSize(1);
            await("the cordoned RR is demoted", () -> !reflectorNames(observed(cp)).contains(cordoned));
            awaitTopology(cp, section, 3);
        } finally {
            cp.installCrds();
        }
    }
}
