package dev.calicorr.routereflector.apply;

import static dev.calicorr.routereflector.apply.LiveChecks.RR;
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
import static dev.calicorr.routereflector.apply.LiveChecks.statuses;
import static org.assertj.core.api.Assertions.assertThat;

import dev.calicorr.core.runtime.Host;
import dev.calicorr.routereflector.RouteReflectorPlugin;
import dev.calicorr.routereflector.kube.CalicoNodeStatus;
import dev.calicorr.routereflector.model.ClusterSnapshot;
import dev.calicorr.routereflector.model.Names;
import dev.calicorr.routereflector.model.NodeFacts;
import dev.calicorr.routereflector.sim.Bgp;
import dev.calicorr.routereflector.standin.CalicoNodeStandIn;
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
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * BGP session checks against the real control plane, with a stand-in for calico-node that fills in
 * the CalicoNodeStatuses the controller creates: one status per route reflector and no other,
 * demotion held back until the replacement's sessions are Established, one Event per stuck
 * session, the gauges, and everything as before where the CRD is missing.
 */
@RealControlPlane
class SessionChecksIT {
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

    private static List<CalicoNodeStatus> ownedStatuses(ControlPlane cp) {
        return statuses(cp).list().getObject().getItems().stream().filter(SessionChecks::isOwned).toList();
    }

    private static Set<String> statusNodes(ControlPlane cp) {
        return ownedStatuses(cp).stream().map(s -> s.getSpec().getNode()).collect(Collectors.toCollection(TreeSet::new));
    }

    private static boolean isReflector(NodeFacts node) {
        return node.labels().containsKey(RR);
    }

    @Test
    void everyRouteReflectorAndNoOtherNodeHasACalicoNodeStatusOfOursWhoseSessionsShowInTheGauges(ControlPlane cp)
            throws Exception {
        new SimulatedNodes(cp.adminClient()).createMany("node", 0, 30, ZONES);
        calicoNode = new CalicoNodeStandIn(cp.adminClient()).start();
        // an operator's own status object: never touched
        CalicoNodeStatus mine = new CalicoNodeStatus(new V1ObjectMeta().name("operators-own"),
                new CalicoNodeStatus.Spec("node-001", List.of("BGP", "Routes"), 60));
        assertThat(statuses(cp).create(mine).isSuccess()).isTrue();
        Map<String, Object> section = Map.of("ratio", 0.1, "removalDelay", "1s");
        start(cp, section);

        Set<String> reflectors = reflectorNames(awaitTopology(cp, section, 3));
        await("one CalicoNodeStatus per route reflector", () -> statusNodes(cp).equals(reflectors));
        for (CalicoNodeStatus status : ownedStatuses(cp)) {
            assertThat(status.getMetadata().getName()).isEqualTo("rrc-" + status.getSpec().getNode());
            assertThat(status.getMetadata().getLabels()).containsEntry(Names.MANAGED_BY_LABEL, Names.CONTROLLER_NAME);
            assertThat(status.getSpec().getClasses()).containsExactly("BGP");
            assertThat(status.getSpec().getUpdatePeriodSeconds()).isEqualTo(SessionChecks.UPDATE_PERIOD_SECONDS);
        }

        // the gauges show what calico-node reported: every session of each RR, all Established
        await("sessions in the gauges", () -> {
            Bgp bgp = bgpOf(cp);
            return reflectors.stream().allMatch(rr -> {
                Double established = gauge(host, "calico_rr_bgp_sessions_established", rr);
                return established != null && established == bgp.sessionsOf(rr).size()
                        && gauge(host, "calico_rr_bgp_sessions_not_established", rr) == 0.0;
            });
        });
        Bgp bgp = bgpOf(cp);
        assertThat(reflectors).allMatch(rr -> bgp.sessionsOf(rr).size() >= 10, "each RR has sessions with its clients");
        assertThat(gauge(host, "calico_rr_bgp_session_checks")).isEqualTo(1.0);

        // a demoted RR loses its status object, its replacement gets one
        String cordoned = new TreeSet<>(reflectors).first();
        new SimulatedNodes(cp.adminClient()).cordon(cordoned, true);
        await("the cordoned RR is demoted", () -> !reflectorNames(observed(cp)).contains(cordoned));
        Set<String> after = reflectorNames(awaitTopology(cp, section, 3));
        await("the status objects follow the RRs", () -> statusNodes(cp).equals(after));
        assertThat(statuses(cp).get("rrc-" + cordoned).getHttpStatusCode()).isEqualTo(404);
        // calico-node (the stand-in) fills in the operator's object too; the controller never wrote it
        assertThat(statuses(cp).get("operators-own").isSuccess()).isTrue();
        assertThat(cp.controllerWrites()).filteredOn(w -> "caliconodestatuses".equals(w.resource()))
                .isNotEmpty().noneMatch(w -> "operators-own".equals(w.name()));
    }

    @Test
    void anObsoleteRouteReflectorIsDemotedOnlyAfterItsReplacementHasEstablishedSessions(ControlPlane cp)
            throws Exception {
        new SimulatedNodes(cp.adminClient()).createMany("node", 0, 30, ZONES);
        calicoNode = new CalicoNodeStandIn(cp.adminClient()).start();
        Map<String, Object> section = Map.of("ratio", 0.1, "removalDelay", "1s", "sessionStuckAfter", "10m");
        start(cp, section);
        Set<String> first = reflectorNames(awaitTopology(cp, section, 3));
        await("the first RRs' sessions are reported", () -> first.stream()
                .allMatch(rr -> gauge(host, "calico_rr_bgp_sessions_established", rr) != null));

        // from now on, the sessions of any new route reflector never come up
        calicoNode.sessionStates((local, peer) -> isReflector(local) && !first.contains(local.name())
                || isReflector(peer) && !first.contains(peer.name()) ? CalicoNodeStandIn.CONNECT
                        : CalicoNodeStandIn.ESTABLISHED);
        String cordoned = new TreeSet<>(first).first();
        new SimulatedNodes(cp.adminClient()).cordon(cordoned, true);
        await("a replacement is promoted", () -> reflectorNames(observed(cp)).size() == 4);
        String replacement = reflectorNames(observed(cp)).stream().filter(n -> !first.contains(n)).findFirst()
                .orElseThrow();
        await("the controller sees the replacement's sessions down", () -> {
            Double down = gauge(host, "calico_rr_bgp_sessions_not_established", replacement);
            return down != null && down > 0;
        });
        // removalDelay (1s) of the replacement is over: time alone would demote the cordoned RR now
        Instant served = Instant.parse(observed(cp).nodes().stream().filter(n -> n.name().equals(replacement))
                .findFirst().orElseThrow().annotations().get(Names.SERVING_SINCE_ANNOTATION));
        await("removalDelay is over", () -> Instant.now().isAfter(served.plusSeconds(2)));
        awaitTwoMoreReconciles(host, cp);
        assertThat(reflectorNames(observed(cp))).as("the cordoned RR still serves").contains(cordoned);
        assertThat(observed(cp).nodes().stream().filter(n -> n.name().equals(cordoned)).findFirst().orElseThrow()
                .annotations()).containsKey(Names.CLUSTER_ID_ANNOTATION);

        // the replacement's sessions come up: now the cordoned RR goes
        calicoNode.allEstablished();
        await("the cordoned RR is demoted", () -> !reflectorNames(observed(cp)).contains(cordoned));
        assertThat(reflectorNames(observed(cp))).contains(replacement).hasSize(3);
        await("its status object goes with it", () -> statuses(cp).get("rrc-" + cordoned).getHttpStatusCode() == 404);
    }

    @Test
    void oneStuckSessionOfAReplacementHoldsTheHandOverBackOnlyUntilItIsReportedStuck(ControlPlane cp)
            throws Exception {
        new SimulatedNodes(cp.adminClient()).createMany("node", 0, 30, ZONES);
        calicoNode = new CalicoNodeStandIn(cp.adminClient()).start();
        Map<String, Object> section = Map.of("ratio", 0.1, "removalDelay", "1s", "sessionStuckAfter", "4s");
        start(cp, section);
        Set<String> first = reflectorNames(awaitTopology(cp, section, 3));
        await("the first RRs' sessions are reported", () -> first.stream()
                .allMatch(rr -> gauge(host, "calico_rr_bgp_sessions_established", rr) != null));
        // 3 RRs and 3 per client: every client peers with every RR, the replacement too; the newest
        // node (zone c) is a client that will not become the replacement (the oldest of zone a)
        String broken = observed(cp).nodes().stream().map(NodeFacts::name).filter(n -> !first.contains(n))
                .max(String::compareTo).orElseThrow();
        calicoNode.sessionStates((local, peer) -> {
            NodeFacts newRr = isReflector(local) && !first.contains(local.name()) ? local
                    : isReflector(peer) && !first.contains(peer.name()) ? peer : null;
            NodeFacts other = newRr == local ? peer : local;
            return newRr != null && other.name().equals(broken) ? CalicoNodeStandIn.CONNECT
                    : CalicoNodeStandIn.ESTABLISHED;
        });
        String cordoned = new TreeSet<>(first).first();
        new SimulatedNodes(cp.adminClient()).cordon(cordoned, true);
        await("a replacement is promoted", () -> reflectorNames(observed(cp)).size() == 4);
        String replacement = reflectorNames(observed(cp)).stream().filter(n -> !first.contains(n)).findFirst()
                .orElseThrow();
        await("the controller sees one session of the replacement coming up", () -> {
            Double down = gauge(host, "calico_rr_bgp_sessions_not_established", replacement);
            return down != null && down == 1.0;
        });
        assertThat(stuckEvents(cp)).isEmpty();
        assertThat(reflectorNames(observed(cp))).as("held back while the session may still come up").contains(cordoned);

        // once reported stuck (one of many), it no longer holds the hand-over back
        await("the cordoned RR is demoted", () -> !reflectorNames(observed(cp)).contains(cordoned));
        assertThat(stuckEvents(cp)).singleElement().satisfies(e -> {
            assertThat(e.getInvolvedObject().getName()).isEqualTo(replacement);
            assertThat(e.getMessage()).contains(broken + " (Connect)");
        });
        assertThat(gauge(host, "calico_rr_bgp_sessions_not_established", replacement)).isEqualTo(1.0);
    }

    @Test
    void aStuckSessionRaisesExactlyOneWarningEventAndALogLine(ControlPlane cp) throws Exception {
        new SimulatedNodes(cp.adminClient()).createMany("node", 0, 30, ZONES);
        calicoNode = new CalicoNodeStandIn(cp.adminClient()).start();
        Map<String, Object> section = Map.of("ratio", 0.1, "removalDelay", "1s", "sessionStuckAfter", "2s");
        start(cp, section);
        ClusterSnapshot converged = awaitTopology(cp, section, 3);
        Bgp bgp = new Bgp(converged.nodes(), converged.ownedPeers(), true, Set.of());
        String rr = new TreeSet<>(reflectorNames(converged)).first();
        String client = new TreeSet<>(bgp.sessionsOf(rr)).stream()
                .filter(n -> !reflectorNames(converged).contains(n)).findFirst().orElseThrow();
        await("the RR's sessions are reported", () -> gauge(host, "calico_rr_bgp_sessions_established", rr) != null);

        try (CapturedLog log = new CapturedLog()) {
            // one session, between that RR and one of its clients, never comes up
            calicoNode.sessionStates((local, peer) -> Set.of(local.name(), peer.name()).equals(Set.of(rr, client))
                    ? CalicoNodeStandIn.CONNECT : CalicoNodeStandIn.ESTABLISHED);
            await("a Warning Event on the RR names the client", () -> stuckEvents(cp).size() == 1);
            CoreV1Event event = stuckEvents(cp).get(0);
            assertThat(event.getType()).isEqualTo("Warning");
            assertThat(event.getInvolvedObject().getKind()).isEqualTo("Node");
            assertThat(event.getInvolvedObject().getName()).isEqualTo(rr);
            assertThat(event.getMessage()).contains(client + " (Connect)").contains("for more than 2s");
            assertThat(gauge(host, "calico_rr_bgp_sessions_not_established", rr)).isEqualTo(1.0);
            assertThat(gauge(host, "calico_rr_bgp_sessions_established", rr))
                    .isEqualTo(bgp.sessionsOf(rr).size() - 1.0);

            // more reconciles while it stays stuck: no second Event, no repeated count, one log line
            awaitTwoMoreReconciles(host, cp);
            awaitTwoMoreReconciles(host, cp);
            assertThat(stuckEvents(cp)).hasSize(1).allMatch(e -> e.getCount() == null || e.getCount() == 1);
            assertThat(counter(host, "calico_rr_bgp_sessions_stuck_total")).isEqualTo(1.0);
            assertThat(log.lines()).filteredOn(l -> l.contains("reason=bgp-session-stuck")).hasSize(1)
                    .allMatch(l -> l.startsWith("WARN") && l.contains(rr) && l.contains(client));

            calicoNode.allEstablished();
            await("the recovery is logged", () -> log.lines().stream()
                    .anyMatch(l -> l.contains(rr) && l.contains(client) && l.contains("no longer stuck")));
            assertThat(stuckEvents(cp)).hasSize(1);
        }
    }

    private static List<CoreV1Event> stuckEvents(ControlPlane cp) {
        return events(cp).stream().filter(e -> "BGPSessionStuck".equals(e.getReason())).toList();
    }

    @Test
    void withoutTheCalicoNodeStatusCrdEverythingWorksAsBefore(ControlPlane cp) throws Exception {
        var removed = cp.kubectl("delete", "crd", "caliconodestatuses.crd.projectcalico.org", "--wait=true");
        assertThat(removed.exitCode()).as(removed.stderr()).isZero();
        try (CapturedLog log = new CapturedLog()) {
            new SimulatedNodes(cp.adminClient()).createMany("node", 0, 30, ZONES);
            Map<String, Object> section = Map.of("ratio", 0.1, "removalDelay", "1s", "manageNodeToNodeMesh", true);
            start(cp, section);
            Set<String> first = reflectorNames(awaitTopology(cp, section, 3));
            // the hand-over runs on removalDelay alone, as before
            String cordoned = new TreeSet<>(first).first();
            new SimulatedNodes(cp.adminClient()).cordon(cordoned, true);
            await("the cordoned RR is demoted", () -> !reflectorNames(observed(cp)).contains(cordoned));
            awaitTopology(cp, section, 3);
            // and the mesh is handed off on the topology and removalDelay alone
            await("the mesh is turned off", () -> !LiveChecks.meshOn(cp));
            assertThat(gauge(host, "calico_rr_bgp_session_checks")).isEqualTo(0.0);
            assertThat(log.lines()).filteredOn(l -> l.contains("CalicoNodeStatus CRD")
                    && l.contains("is not installed")).hasSize(1);
            assertThat(log.lines()).filteredOn(l -> l.startsWith("ERROR")).isEmpty();
            assertThat(log.lines()).anyMatch(l -> l.contains("turned Calico's node-to-node mesh off")
                    && l.contains("no CalicoNodeStatus CRD"));
        } finally {
            cp.installCrds();
        }
    }

    private static Bgp bgpOf(ControlPlane cp) {
        ClusterSnapshot snapshot = observed(cp);
        return new Bgp(snapshot.nodes(), snapshot.ownedPeers(), LiveChecks.meshOn(cp), Set.of());
    }
}
