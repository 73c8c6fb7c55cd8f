package dev.calicorr.routereflector.apply;

import static dev.calicorr.routereflector.apply.LiveChecks.LEASE_NAME;
import static dev.calicorr.routereflector.apply.LiveChecks.LEASE_NAMESPACE;
import static dev.calicorr.routereflector.apply.LiveChecks.ZONES;
import static dev.calicorr.routereflector.apply.LiveChecks.await;
import static dev.calicorr.routereflector.apply.LiveChecks.awaitTopology;
import static dev.calicorr.routereflector.apply.LiveChecks.awaitTwoMoreReconciles;
import static dev.calicorr.routereflector.apply.LiveChecks.bgpConfiguration;
import static dev.calicorr.routereflector.apply.LiveChecks.bgpConfigurations;
import static dev.calicorr.routereflector.apply.LiveChecks.configs;
import static dev.calicorr.routereflector.apply.LiveChecks.createConfiguration;
import static dev.calicorr.routereflector.apply.LiveChecks.editSection;
import static dev.calicorr.routereflector.apply.LiveChecks.events;
import static dev.calicorr.routereflector.apply.LiveChecks.gauge;
import static dev.calicorr.routereflector.apply.LiveChecks.meshOn;
import static dev.calicorr.routereflector.apply.LiveChecks.newHost;
import static dev.calicorr.routereflector.apply.LiveChecks.observed;
import static dev.calicorr.routereflector.apply.LiveChecks.reflectorNames;
import static dev.calicorr.routereflector.apply.LiveChecks.statuses;
import static org.assertj.core.api.Assertions.assertThat;

import dev.calicorr.core.runtime.Host;
import dev.calicorr.core.runtime.HostOptions;
import dev.calicorr.routereflector.RouteReflectorPlugin;
import dev.calicorr.routereflector.kube.BgpConfiguration;
import dev.calicorr.routereflector.model.ClusterSnapshot;
import dev.calicorr.routereflector.sim.Bgp;
import dev.calicorr.routereflector.standin.CalicoNodeStandIn;
import dev.calicorr.testsupport.AuditedWrite;
import dev.calicorr.testsupport.ControlPlane;
import dev.calicorr.testsupport.RealControlPlane;
import dev.calicorr.testsupport.SimulatedNodes;
import io.kubernetes.client.custom.V1Patch;
import io.kubernetes.client.openapi.models.CoreV1Event;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The opt-in hand-off of Calico's node-to-node mesh against the real control plane, with a stand-in
 * for calico-node: off only once the topology serves and its sessions are Established, back on when
 * no route reflector can be kept, when the option is switched off or the controller is disabled,
 * restoring only what we changed, and the same across a change of leader.
 */
@RealControlPlane
class MeshHandOffIT {
    private static final Duration LEASE = Duration.ofSeconds(4);
    private static final Map<String, Object> SECTION = Map.of("ratio", 0.1, "removalDelay", "1s",
            "manageNodeToNodeMesh", true);

    private final List<Host> hosts = new ArrayList<>();
    private final Instant started = Instant.now(); // JUnit makes one instance per test
    private CalicoNodeStandIn calicoNode;

    @AfterEach
    void stop() {
        Collections.reverse(hosts);
        hosts.forEach(Host::close);
        if (calicoNode != null) {
            calicoNode.close();
        }
    }

    private Host start(Host host) throws Exception {
        hosts.add(host);
        host.start();
        return host;
    }

    private Host startController(ControlPlane cp, Map<String, Object> section, String identity) throws Exception {
        if (!configs(cp).get("default").isSuccess()) {
            createConfiguration(cp, section);
        }
        return start(newHost(cp, new RouteReflectorPlugin(), identity, LEASE));
    }

    private static String before(BgpConfiguration configuration) {
        return MeshHandOff.ours(configuration);
    }

    private static List<CoreV1Event> meshEvents(ControlPlane cp, String reason) {
        return events(cp).stream().filter(e -> reason.equals(e.getReason())).toList();
    }

    /** The controller's writes of BGPConfigurations in this test, from the apiserver's audit log. */
    private List<AuditedWrite> bgpConfigurationWrites(ControlPlane cp) {
        return cp.controllerWrites().stream().filter(w -> "bgpconfigurations".equals(w.resource())
                && w.at().isAfter(started)).toList();
    }

    @Test
    void theMeshGoesOffOnlyOnceTheTopologyServesAndItsSessionsAreEstablished(ControlPlane cp) throws Exception {
        new SimulatedNodes(cp.adminClient()).createMany("node", 0, 30, ZONES);
        calicoNode = new CalicoNodeStandIn(cp.adminClient()).start();
        // no session of a route reflector comes up yet
        calicoNode.sessionStates((local, peer) -> local.labels().containsKey(LiveChecks.RR)
                || peer.labels().containsKey(LiveChecks.RR) ? CalicoNodeStandIn.CONNECT : CalicoNodeStandIn.ESTABLISHED);
        try (CapturedLog log = new CapturedLog()) {
            Host host = startController(cp, SECTION, "it");
            Set<String> reflectors = reflectorNames(awaitTopology(cp, SECTION, 3));
            await("the controller sees the RRs' sessions down", () -> reflectors.stream().allMatch(rr -> {
                Double down = gauge(host, "calico_rr_bgp_sessions_not_established", rr);
                return down != null && down > 0;
            }));
            await("it says why the mesh stays on", () -> log.lines().stream().anyMatch(l -> l.contains(
                    "the node-to-node mesh stays on until the BGP sessions of every route reflector are Established")));
            awaitTwoMoreReconciles(host, cp);
            assertThat(bgpConfiguration(cp)).as("BGPConfiguration/default untouched").isNull();
            assertThat(gauge(host, "calico_rr_node_to_node_mesh")).isEqualTo(1.0);

            calicoNode.allEstablished();
            await("the mesh is turned off", () -> !meshOn(cp));
            BgpConfiguration created = bgpConfiguration(cp);
            assertThat(created.getSpec().getNodeToNodeMeshEnabled()).isFalse();
            assertThat(before(created)).isEqualTo(MeshHandOff.UNSET);
            await("a Normal Event on BGPConfiguration/default", () -> meshEvents(cp, "NodeToNodeMeshDisabled").stream()
                    .anyMatch(e -> "BGPConfiguration".equals(e.getInvolvedObject().getKind())
                            && "Normal".equals(e.getType()) && e.getMessage().contains("Established")));
            await("the gauge follows", () -> gauge(host, "calico_rr_node_to_node_mesh") == 0.0);
            // when it went off, every RR had all its sessions up (the gauges of that moment)
            Bgp bgp = bgpOf(cp);
            for (String rr : reflectors) {
                assertThat(gauge(host, "calico_rr_bgp_sessions_established", rr)).isEqualTo(bgp.sessionsOf(rr).size());
                assertThat(gauge(host, "calico_rr_bgp_sessions_not_established", rr)).isEqualTo(0.0);
            }
            // and with the mesh off, every node still learns every other node's routes
            ClusterSnapshot snapshot = observed(cp);
            assertThat(new Bgp(snapshot.nodes(), snapshot.ownedPeers(), false, Set.of()).unreachable()).isEmpty();
            assertThat(log.lines()).filteredOn(l -> l.contains("turned Calico's node-to-node mesh off")).hasSize(1);
            assertThat(bgpConfigurationWrites(cp)).hasSize(1);
        }
    }

    @Test
    void theMeshComesBackWhenNoRouteReflectorCanBeKeptAndGoesOffAgainOnceOneServes(ControlPlane cp) throws Exception {
        SimulatedNodes nodes = new SimulatedNodes(cp.adminClient());
        List<String> names = nodes.createMany("node", 0, 30, ZONES);
        calicoNode = new CalicoNodeStandIn(cp.adminClient()).start();
        startController(cp, SECTION, "it");
        awaitTopology(cp, SECTION, 3);
        await("the mesh is turned off", () -> !meshOn(cp));

        // a maintenance that cordons every node: no node may be a route reflector any more
        names.forEach(name -> nodes.cordon(name, true));
        await("the mesh is back on", () -> meshOn(cp));
        BgpConfiguration restored = bgpConfiguration(cp);
        assertThat(restored.getSpec().getNodeToNodeMeshEnabled()).as("unset again, as before").isNull();
        assertThat(before(restored)).isNull();
        await("a Warning Event says why", () -> meshEvents(cp, "NodeToNodeMeshRestored").stream()
                .anyMatch(e -> "Warning".equals(e.getType()) && e.getMessage().contains("no node is eligible")));

        names.forEach(name -> nodes.cordon(name, false));
        await("the mesh is turned off again", () -> !meshOn(cp));
        assertThat(meshEvents(cp, "NodeToNodeMeshDisabled")).isNotEmpty();
    }

    @Test
    void switchingManageNodeToNodeMeshOffRestoresExactlyWhatWasThereBefore(ControlPlane cp) throws Exception {
        // an operator's BGPConfiguration with the mesh explicitly on and an AS number of its own
        BgpConfiguration own = new BgpConfiguration(new V1ObjectMeta().name("default"), new BgpConfiguration.Spec(true));
        assertThat(bgpConfigurations(cp).create(own).isSuccess()).isTrue();
        assertThat(bgpConfigurations(cp).patch("default", V1Patch.PATCH_FORMAT_JSON_MERGE_PATCH,
                new V1Patch("{\"spec\":{\"asNumber\":64513}}")).isSuccess()).isTrue();
        new SimulatedNodes(cp.adminClient()).createMany("node", 0, 30, ZONES);
        calicoNode = new CalicoNodeStandIn(cp.adminClient()).start();
        startController(cp, SECTION, "it");
        await("the mesh is turned off", () -> !meshOn(cp));
        assertThat(before(bgpConfiguration(cp))).isEqualTo("true");

        editSection(cp, "{\"manageNodeToNodeMesh\":false}");
        await("the mesh is back on", () -> meshOn(cp) && before(bgpConfiguration(cp)) == null);
        BgpConfiguration restored = bgpConfiguration(cp);
        assertThat(restored.getSpec().getNodeToNodeMeshEnabled()).as("true, as before").isTrue();
        var raw = new io.kubernetes.client.util.generic.dynamic.DynamicKubernetesApi("crd.projectcalico.org", "v1",
                "bgpconfigurations", cp.adminClient()).get("default").getObject().getRaw();
        assertThat(raw.getAsJsonObject("spec").get("asNumber").getAsLong()).as("the operator's field").isEqualTo(64513);
        await("a Normal Event says why", () -> meshEvents(cp, "NodeToNodeMeshRestored").stream()
                .anyMatch(e -> "Normal".equals(e.getType()) && e.getMessage().contains("manageNodeToNodeMesh is off")));
        // the topology itself stays
        assertThat(reflectorNames(observed(cp))).hasSize(3);
    }

    @Test
    void aMeshSomeoneElseTurnedOffIsLeftAloneAndNeverTurnedOn(ControlPlane cp) throws Exception {
        BgpConfiguration off = new BgpConfiguration(new V1ObjectMeta().name("default"), new BgpConfiguration.Spec(false));
        String version = bgpConfigurations(cp).create(off).getObject().getMetadata().getResourceVersion();
        new SimulatedNodes(cp.adminClient()).createMany("node", 0, 30, ZONES);
        calicoNode = new CalicoNodeStandIn(cp.adminClient()).start();
        Host host = startController(cp, SECTION, "it");
        awaitTopology(cp, SECTION, 3);
        editSection(cp, "{\"manageNodeToNodeMesh\":false}");
        awaitTwoMoreReconciles(host, cp);
        editSection(cp, "{\"manageNodeToNodeMesh\":true}");
        awaitTwoMoreReconciles(host, cp);
        assertThat(bgpConfiguration(cp).getMetadata().getResourceVersion()).isEqualTo(version);
        assertThat(bgpConfigurationWrites(cp)).isEmpty();
    }

    @Test
    void disablingTheControllerTurnsTheMeshBackOnAndLeavesTheTopology(ControlPlane cp) throws Exception {
        new SimulatedNodes(cp.adminClient()).createMany("node", 0, 30, ZONES);
        calicoNode = new CalicoNodeStandIn(cp.adminClient()).start();
        createConfiguration(cp, SECTION);
        // ENABLED_CONTROLLERS unset: the section enables the controller, so removing it disables it
        HostOptions options = HostOptions.defaults(Map.of(), "it").withHealth("127.0.0.1", 0).withModes(false, false)
                .withLease(LEASE_NAMESPACE, LEASE_NAME, LEASE, LEASE.multipliedBy(3).dividedBy(4), Duration.ofMillis(500));
        start(new Host(options, cp.controllerClient(), cp.newControllerClient(), List.of(new RouteReflectorPlugin()),
                () -> { }));
        Set<String> reflectors = reflectorNames(awaitTopology(cp, SECTION, 3));
        await("the mesh is turned off", () -> !meshOn(cp));
        await("the RRs have status objects", () -> statuses(cp).list().getObject().getItems().size() == 3);

        var removed = configs(cp).patch("default", V1Patch.PATCH_FORMAT_JSON_MERGE_PATCH,
                new V1Patch("{\"spec\":{\"controllers\":{\"routereflector\":null}}}"));
        assertThat(removed.isSuccess()).isTrue();
        await("the mesh is back on", () -> meshOn(cp));
        assertThat(bgpConfiguration(cp).getSpec().getNodeToNodeMeshEnabled()).isNull();
        assertThat(before(bgpConfiguration(cp))).isNull();
        await("a Normal Event says why", () -> meshEvents(cp, "NodeToNodeMeshRestored").stream()
                .anyMatch(e -> e.getMessage().contains("the routereflector controller is disabled")));
        await("our status objects are gone", () -> statuses(cp).list().getObject().getItems().isEmpty());
        // the topology is left as it is: no tearing down on disable
        assertThat(reflectorNames(observed(cp))).isEqualTo(reflectors);
        assertThat(observed(cp).ownedPeers()).isNotEmpty();
    }

    @Test
    void aNewLeaderKeepsTheMeshAsTheOldOneLeftItAndRestoresWhatTheOldOneChanged(ControlPlane cp) throws Exception {
        new SimulatedNodes(cp.adminClient()).createMany("node", 0, 30, ZONES);
        calicoNode = new CalicoNodeStandIn(cp.adminClient()).start();
        Host first = startController(cp, SECTION, "a");
        await("a leads", first::isLeader);
        Host second = startController(cp, SECTION, "b");
        awaitTopology(cp, SECTION, 3);
        await("the mesh is turned off", () -> !meshOn(cp));
        String version = bgpConfiguration(cp).getMetadata().getResourceVersion();

        first.close(); // a clean stop: the Lease is released, b takes over at once
        hosts.remove(first);
        await("b leads", second::isLeader);
        awaitTwoMoreReconciles(second, cp);
        assertThat(bgpConfiguration(cp).getMetadata().getResourceVersion()).as("neither a stop nor a new leader flips it")
                .isEqualTo(version);
        assertThat(gauge(second, "calico_rr_node_to_node_mesh")).isEqualTo(0.0);

        editSection(cp, "{\"manageNodeToNodeMesh\":false}");
        await("b restores what a changed", () -> meshOn(cp));
        assertThat(bgpConfiguration(cp).getSpec().getNodeToNodeMeshEnabled()).isNull();
        assertThat(bgpConfigurationWrites(cp)).hasSize(2);
    }

    @Test
    void anApiServerOutageNeverFlipsTheMesh(ControlPlane cp) throws Exception {
        new SimulatedNodes(cp.adminClient()).createMany("node", 0, 30, ZONES);
        calicoNode = new CalicoNodeStandIn(cp.adminClient()).start();
        createConfiguration(cp, SECTION);
        // the leader keeps its Lease through the outage
        Host host = start(newHost(cp, new RouteReflectorPlugin(), "it", Duration.ofSeconds(60)));
        awaitTopology(cp, SECTION, 3);
        await("the mesh is turned off", () -> !meshOn(cp));
        int writes = bgpConfigurationWrites(cp).size();

        calicoNode.close(); // calico-node keeps its state during an outage
        cp.stopApiServer();
        Thread.sleep(10_000); // the outage itself, not a wait for a result
        cp.startApiServer();
        assertThat(host.isLeader()).isTrue();
        awaitTwoMoreReconciles(host, cp);
        assertThat(meshOn(cp)).isFalse();
        assertThat(bgpConfigurationWrites(cp)).hasSize(writes);
    }

    private static Bgp bgpOf(ControlPlane cp) {
        ClusterSnapshot snapshot = observed(cp);
        return new Bgp(snapshot.nodes(), snapshot.ownedPeers(), meshOn(cp), Set.of());
    }
}
