package dev.calicorr.routereflector.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.config.TopologyType;
import dev.calicorr.routereflector.model.Names;
import dev.calicorr.routereflector.model.NodeFacts;
import dev.calicorr.routereflector.model.PeerFacts;
import dev.calicorr.routereflector.plan.Plan;
import dev.calicorr.routereflector.plan.Planner;
import dev.calicorr.routereflector.sim.ClusterModel;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class SessionsTest {

    private static NodeFacts node(String name, boolean ready, String clusterId, Map<String, String> labels) {
        Map<String, String> annotations = clusterId == null ? Map.of() : Map.of(Names.CLUSTER_ID_ANNOTATION, clusterId);
        return new NodeFacts(name, labels, annotations, ready, false, List.of(), Instant.EPOCH);
    }

    @Test
    void sessionsComeFromThePeersSelectorsBothWaysOncePerPairAndOnlyBetweenReadyNodes() {
        List<NodeFacts> nodes = List.of(
                node("rr-1", true, "1.0.0.1", Map.of("tier", "top")),
                node("rr-2", true, "1.0.0.2", Map.of("tier", "top")),
                node("mid", true, "1.0.0.3", Map.of("tier", "mid")),
                node("leaf-1", true, null, Map.of("tier", "leaf")),
                node("leaf-2", true, null, Map.of("tier", "leaf")),
                node("leaf-down", false, null, Map.of("tier", "leaf")),
                node("alone", true, null, Map.of()));
        // a three-level shape no topology of ours has: the count must not care
        List<PeerFacts> peers = List.of(
                new PeerFacts("top", "tier == 'top'", "tier == 'top'"),
                new PeerFacts("mid-up", "tier == 'mid'", "tier == 'top'"),
                new PeerFacts("leaves", "tier == 'leaf'", "tier == 'mid'"),
                // the reverse of a pair already peered adds no session
                new PeerFacts("leaves-again", "tier == 'mid'", "tier == 'leaf'"));

        Sessions sessions = Sessions.of(nodes, peers);

        assertThat(sessions.nodes()).extracting(Sessions.NodeSessions::node)
                .containsExactly("alone", "leaf-1", "leaf-2", "mid", "rr-1", "rr-2");
        assertThat(sessions.of("rr-1")).isEqualTo(new Sessions.NodeSessions("rr-1", true, 2, 2));
        assertThat(sessions.of("mid")).isEqualTo(new Sessions.NodeSessions("mid", true, 4, 2));
        assertThat(sessions.of("mid").withClients()).isEqualTo(2);
        assertThat(sessions.of("leaf-1")).isEqualTo(new Sessions.NodeSessions("leaf-1", false, 1, 1));
        assertThat(sessions.of("alone")).isEqualTo(new Sessions.NodeSessions("alone", false, 0, 0));
        assertThat(sessions.of("leaf-down")).isEqualTo(new Sessions.NodeSessions("leaf-down", false, 0, 0));
        assertThat(sessions.reflectors()).extracting(Sessions.NodeSessions::node).containsExactly("mid", "rr-1", "rr-2");
        assertThat(sessions.clients()).extracting(Sessions.NodeSessions::node)
                .containsExactly("alone", "leaf-1", "leaf-2");
        // rr-1/rr-2, mid/rr-1, mid/rr-2, leaf-1/mid, leaf-2/mid
        assertThat(sessions.total()).isEqualTo(5);
        assertThat(sessions.fullMesh()).isEqualTo(6 * 5 / 2);
    }

    /** The controller's topologies counted from their BGPPeers: what docs/topologies.md says they give. */
    @ParameterizedTest
    @EnumSource(value = TopologyType.class, names = {"SINGLE", "MULTI"})
    void theControllersTopologiesGiveTheSessionsTheirDesignPromises(TopologyType topology) {
        RouteReflectorConfig config = RouteReflectorConfig.builder().ratio(0.02).max(20).topologyType(topology).build();
        ClusterModel model = new ClusterModel(SyntheticCluster.nodes(SyntheticCluster.Spec.parse("nodes=600,zones=3")));
        Plan plan = Planner.plan(model.snapshot(), config, SyntheticCluster.NOW);
        plan.steps().forEach(model::apply);

        Sessions sessions = Sessions.of(model.nodes(), plan.desiredPeers());

        int reflectors = 12; // 600 * 0.02
        int clients = 600 - reflectors;
        int perClient = topology == TopologyType.SINGLE ? reflectors : config.routeReflectorsPerNode();
        assertThat(sessions.reflectors()).hasSize(reflectors)
                .allMatch(rr -> rr.withReflectors() == reflectors - 1);
        assertThat(sessions.clients()).hasSize(clients)
                .allMatch(c -> c.sessions() == perClient && c.withReflectors() == perClient);
        assertThat(sessions.total()).isEqualTo((long) clients * perClient + reflectors * (reflectors - 1) / 2);
        // and what each RR serves is the planner's own account of its clients
        Map<String, Integer> served = new HashMap<>();
        sessions.reflectors().forEach(rr -> served.put(rr.node(), rr.withClients()));
        assertThat(served).isEqualTo(plan.summary().clientsPerReflector());
    }
}
