package dev.calicorr.routereflector.apply;

import static dev.calicorr.routereflector.apply.LiveChecks.RR;
import static dev.calicorr.routereflector.apply.LiveChecks.ZONES;
import static dev.calicorr.routereflector.apply.LiveChecks.awaitTopology;
import static dev.calicorr.routereflector.apply.LiveChecks.createConfiguration;
import static dev.calicorr.routereflector.apply.LiveChecks.editSection;
import static dev.calicorr.routereflector.apply.LiveChecks.newHost;
import static org.assertj.core.api.Assertions.assertThat;

import dev.calicorr.core.runtime.Host;
import dev.calicorr.routereflector.RouteReflectorPlugin;
import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.model.ClusterSnapshot;
import dev.calicorr.routereflector.model.Names;
import dev.calicorr.routereflector.model.NodeFacts;
import dev.calicorr.routereflector.model.PeerFacts;
import dev.calicorr.routereflector.sim.Bgp;
import dev.calicorr.testsupport.ControlPlane;
import dev.calicorr.testsupport.RealControlPlane;
import dev.calicorr.testsupport.SimulatedNodes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The quorum and hierarchy topologies and the stepping calculation on the real control plane:
 * configured by live edits of the section, applied by the controller with its RBAC identity, and
 * judged by route reflection over the BGPPeers and node labels it wrote.
 */
@RealControlPlane
class TopologiesIT {
    private static final String RACK = RouteReflectorConfig.DEFAULT_RACK_LABEL;
    private Host host;

    @AfterEach
    void stop() {
        if (host != null) {
            host.close();
        }
    }

    private static Map<String, List<String>> byClusterId(ClusterSnapshot snapshot) {
        Map<String, List<String>> ids = new TreeMap<>();
        snapshot.nodes().stream().filter(n -> n.labels().containsKey(RR))
                .forEach(n -> ids.computeIfAbsent(n.annotations().get(Names.CLUSTER_ID_ANNOTATION), id -> new ArrayList<>())
                        .add(n.name()));
        return ids;
    }

    private static NodeFacts node(ClusterSnapshot snapshot, String name) {
        return snapshot.nodes().stream().filter(n -> n.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void quorumThenHierarchyThenSteppingByLiveEdits(ControlPlane cp) throws Exception {
        SimulatedNodes nodes = new SimulatedNodes(cp.adminClient());
        List<String> names = nodes.createMany("node", 0, 36, ZONES);
        for (int i = 0; i < names.size(); i++) {
            nodes.label(names.get(i), RACK, "rack-" + i / 12);
        }
        Map<String, Object> section = new LinkedHashMap<>(Map.of("topologyType", "quorum", "ratio", 0.2,
                "removalDelay", "1s"));
        createConfiguration(cp, section);
        host = newHost(cp, new RouteReflectorPlugin(), "it", Duration.ofSeconds(4));
        host.start();

        // 36 × 0.2 = 7.2 -> 8 RRs, rounded up to three whole quorums
        ClusterSnapshot quorum = awaitTopology(cp, section, 9);
        Map<String, List<String>> quorums = byClusterId(quorum);
        assertThat(quorums).containsOnlyKeys("224.0.0.1", "224.0.0.2", "224.0.0.3");
        quorums.values().forEach(members -> assertThat(members.stream()
                .map(rr -> node(quorum, rr).labels().get(SimulatedNodes.ZONE_LABEL)).distinct()).hasSize(3));
        assertThat(quorum.ownedPeers()).extracting(PeerFacts::name)
                .containsExactlyInAnyOrder("rrc-mesh", "rrc-group-1", "rrc-group-2", "rrc-group-3");
        List<String> rrs = quorums.values().stream().flatMap(List::stream).sorted().toList();
        for (int i = 0; i < rrs.size(); i += 2) { // pairs of failed RRs, across and within quorums
            Set<String> failed = Set.of(rrs.get(i), rrs.get((i + 4) % rrs.size()));
            assertThat(new Bgp(quorum.nodes(), quorum.ownedPeers(), false, failed).unreachable()).as("%s", failed)
                    .isEmpty();
        }

        section.putAll(Map.of("topologyType", "hierarchy", "min", 3, "max", 3));
        editSection(cp, "{\"topologyType\":\"hierarchy\",\"min\":3,\"max\":3}");
        // three spines and two RRs in each of the three racks
        ClusterSnapshot hierarchy = awaitTopology(cp, section, 9);
        Map<String, List<String>> ids = byClusterId(hierarchy);
        List<String> spines = ids.remove("224.0.0.0");
        assertThat(spines).hasSize(3);
        assertThat(spines.stream().map(s -> node(hierarchy, s).labels().get(RACK)).distinct()).hasSize(3);
        assertThat(ids).hasSize(3).allSatisfy((id, members) -> {
            assertThat(members).hasSize(2);
            assertThat(members.stream().map(m -> node(hierarchy, m).labels().get(RACK)).distinct()).hasSize(1);
        });
        assertThat(hierarchy.ownedPeers()).extracting(PeerFacts::name).contains("rrc-spine").doesNotContain("rrc-mesh");
        Bgp bgp = new Bgp(hierarchy.nodes(), hierarchy.ownedPeers(), false, Set.of());
        assertThat(bgp.unreachable()).isEmpty();
        hierarchy.nodes().stream().filter(n -> !n.labels().containsKey(RR)).forEach(client -> assertThat(
                bgp.sessionsOf(client.name())).hasSize(2)
                .allMatch(peer -> node(hierarchy, peer).labels().get(RACK).equals(client.labels().get(RACK))));

        section.putAll(Map.of("topologyType", "multi", "min", 1, "max", 10, "calculation", "stepping", "steps",
                List.of(Map.of("nodes", 0, "reflectors", 2), Map.of("nodes", 30, "reflectors", 5))));
        editSection(cp, "{\"topologyType\":\"multi\",\"min\":1,\"max\":10,\"calculation\":\"stepping\","
                + "\"steps\":[{\"nodes\":0,\"reflectors\":2},{\"nodes\":30,\"reflectors\":5}]}");
        ClusterSnapshot stepped = awaitTopology(cp, section, 5);
        assertThat(new Bgp(stepped.nodes(), stepped.ownedPeers(), false, Set.of()).unreachable()).isEmpty();
        // below the second step the first applies
        for (int i = 29; i < 36; i++) {
            nodes.delete(names.get(i));
        }
        awaitTopology(cp, section, 2);
    }
}
