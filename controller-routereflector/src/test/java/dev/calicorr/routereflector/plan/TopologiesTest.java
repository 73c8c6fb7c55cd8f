package dev.calicorr.routereflector.plan;

import static dev.calicorr.routereflector.plan.PlannerTest.RR;
import static dev.calicorr.routereflector.plan.PlannerTest.T0;
import static dev.calicorr.routereflector.plan.PlannerTest.reflectors;
import static org.assertj.core.api.Assertions.assertThat;

import dev.calicorr.routereflector.config.ReflectorCount;
import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.config.TopologyType;
import dev.calicorr.routereflector.model.Names;
import dev.calicorr.routereflector.model.NodeFacts;
import dev.calicorr.routereflector.model.PeerFacts;
import dev.calicorr.routereflector.sim.Bgp;
import dev.calicorr.routereflector.sim.ClusterModel;
import dev.calicorr.routereflector.sim.Convergence;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The quorum and hierarchy topologies and the stepping calculation, judged by route reflection. */
class TopologiesTest {
    static final String RACK = RouteReflectorConfig.DEFAULT_RACK_LABEL;

    static RouteReflectorConfig quorum(double ratio, int min, int max) {
        return PlannerTest.config(ratio, min, max).toBuilder().topologyType(TopologyType.QUORUM).build();
    }

    static RouteReflectorConfig hierarchy(int spines) {
        return PlannerTest.config(0.5, spines, spines).toBuilder().topologyType(TopologyType.HIERARCHY).build();
    }

    /** n Ready nodes over zones round-robin and racks in blocks of {@code perRack} (rack-0, rack-1, ...). */
    static List<NodeFacts> racked(int n, int perRack, String... zones) {
        List<NodeFacts> list = new ArrayList<>();
        for (NodeFacts node : PlannerTest.nodes(n, zones)) {
            Map<String, String> labels = new HashMap<>(node.labels());
            labels.put(RACK, "rack-" + list.size() / perRack);
            list.add(new NodeFacts(node.name(), labels, node.annotations(), true, false, List.of(), node.created()));
        }
        return list;
    }

    static Map<String, List<String>> byClusterId(ClusterModel model) {
        Map<String, List<String>> ids = new TreeMap<>();
        for (String rr : reflectors(model)) {
            ids.computeIfAbsent(model.node(rr).annotations().get(Names.CLUSTER_ID_ANNOTATION), id -> new ArrayList<>())
                    .add(rr);
        }
        return ids;
    }

    static String zone(ClusterModel model, String node) {
        return model.node(node).labels().get("topology.kubernetes.io/zone");
    }

    /** Every subset of {@code size} reflectors failing at once leaves every live node learning every live node. */
    static void survivesAnyFailuresOf(ClusterModel model, int size) {
        List<String> rrs = new ArrayList<>(reflectors(model));
        List<Set<String>> subsets = new ArrayList<>();
        subsets(rrs, size, 0, new ArrayList<>(), subsets);
        for (Set<String> failed : subsets) {
            assertThat(new Bgp(model.nodes(), model.peers(), false, failed).unreachable()).as("failed %s", failed)
                    .isEmpty();
        }
    }

    private static void subsets(List<String> items, int size, int from, List<String> chosen, List<Set<String>> out) {
        if (chosen.size() == size) {
            out.add(Set.copyOf(chosen));
            return;
        }
        for (int i = from; i < items.size(); i++) {
            chosen.add(items.get(i));
            subsets(items, size, i + 1, chosen, out);
            chosen.remove(chosen.size() - 1);
        }
    }

    @Test
    void quorumsOfThreeShareAClusterIdSpanZonesAndSurviveAnyTwoFailures() {
        ClusterModel model = new ClusterModel(PlannerTest.nodes(45, "a", "b", "c"));
        Convergence.converge(model, quorum(0.2, 3, 10), T0, 3);

        Map<String, List<String>> quorums = byClusterId(model);
        assertThat(quorums).containsOnlyKeys("224.0.0.1", "224.0.0.2", "224.0.0.3");
        quorums.values().forEach(members -> {
            assertThat(members).hasSize(3);
            assertThat(members.stream().map(rr -> zone(model, rr)).distinct()).hasSize(3);
        });
        // one mesh among all RRs plus one peer per quorum
        assertThat(model.peers()).extracting(PeerFacts::name)
                .containsExactlyInAnyOrder("rrc-mesh", "rrc-group-1", "rrc-group-2", "rrc-group-3");
        Bgp bgp = new Bgp(model.nodes(), model.peers(), false, Set.of());
        Map<String, Integer> perQuorum = new TreeMap<>();
        for (NodeFacts node : model.nodes()) {
            if (reflectors(model).contains(node.name())) {
                continue;
            }
            Set<String> ids = bgp.sessionsOf(node.name()).stream()
                    .map(rr -> model.node(rr).annotations().get(Names.CLUSTER_ID_ANNOTATION)).collect(Collectors.toSet());
            assertThat(ids).as("%s peers with exactly one whole quorum", node.name()).hasSize(1);
            assertThat(bgp.sessionsOf(node.name())).hasSize(3);
            perQuorum.merge(ids.iterator().next(), 1, Integer::sum);
        }
        assertThat(perQuorum.values()).allMatch(count -> count == 12); // 36 clients, filled evenly
        survivesAnyFailuresOf(model, 2);
    }

    @ParameterizedTest(name = "ratio {0}, max {1} -> {2} RRs")
    @CsvSource({"0.13,10,9", "0.13,8,6", "0.02,10,3", "0.2,12,12"})
    void quorumCountsAreWholeQuorumsWithinMax(double ratio, int max, int expected) {
        ClusterModel model = new ClusterModel(PlannerTest.nodes(60, "a", "b", "c"));
        Convergence.converge(model, quorum(ratio, 3, max), T0, 3);
        assertThat(reflectors(model)).hasSize(expected);
        assertThat(byClusterId(model).values()).allMatch(members -> members.size() == 3);
    }

    @Test
    void aCordonedQuorumMemberIsReplacedInsideItsQuorumWithoutTouchingTheOthers() {
        ClusterModel model = new ClusterModel(PlannerTest.nodes(45, "a", "b", "c"));
        RouteReflectorConfig config = quorum(0.2, 3, 10);
        Convergence.converge(model, config, T0, 3);
        Map<String, List<String>> before = byClusterId(model);
        String cordoned = before.get("224.0.0.2").get(0);
        model.put(ClusterModel.with(model.node(cordoned), true, true, List.of()));

        Instant t1 = T0.plusSeconds(1000);
        Plan replace = Convergence.applyOnce(model, config, t1);
        assertThat(replace.decisions()).extracting(Decision::action).containsExactly("promote");
        String replacement = replace.decisions().get(0).node();
        assertThat(zone(model, replacement)).isEqualTo(zone(model, cordoned));
        assertThat(model.node(replacement).annotations()).containsEntry(Names.CLUSTER_ID_ANNOTATION, "224.0.0.2");
        // the other quorums' RRs and clients are not written
        Set<String> touched = replace.steps().stream().filter(s -> s instanceof Step.PatchNode)
                .map(s -> ((Step.PatchNode) s).node()).collect(Collectors.toSet());
        assertThat(touched).doesNotContainAnyElementsOf(before.get("224.0.0.1"))
                .doesNotContainAnyElementsOf(before.get("224.0.0.3"));
        assertThat(touched).containsOnly(replacement);

        Convergence.converge(model, config, t1.plus(config.removalDelay()).plusSeconds(1), 3);
        assertThat(reflectors(model)).doesNotContain(cordoned).hasSize(9);
        assertThat(byClusterId(model).get("224.0.0.2")).contains(replacement).hasSize(3);
        survivesAnyFailuresOf(model, 2);
    }

    @Test
    void hierarchyGivesEachRackItsReflectorsAndSpinesJoinThemWithoutARackMesh() {
        ClusterModel model = new ClusterModel(racked(60, 12, "a", "b", "c"));
        Convergence.converge(model, hierarchy(3), T0, 3);

        Map<String, List<String>> ids = byClusterId(model);
        assertThat(ids.get("224.0.0.0")).as("spines share the template's ID").hasSize(3);
        ids.remove("224.0.0.0");
        assertThat(ids).hasSize(5).allSatisfy((id, rrs) -> {
            assertThat(rrs).hasSize(2);
            assertThat(rrs.stream().map(rr -> model.node(rr).labels().get(RACK)).distinct()).hasSize(1);
        });
        assertThat(model.peers()).extracting(PeerFacts::name).contains("rrc-spine").doesNotContain("rrc-mesh");
        assertThat(model.peers()).hasSize(1 + 5);

        Bgp bgp = new Bgp(model.nodes(), model.peers(), false, Set.of());
        Set<String> spines = Set.copyOf(byClusterId(model).get("224.0.0.0"));
        assertThat(spines.stream().map(spine -> model.node(spine).labels().get(RACK)).distinct())
                .as("spines on distinct racks").hasSize(3);
        for (NodeFacts node : model.nodes()) {
            Set<String> sessions = bgp.sessionsOf(node.name());
            String rack = node.labels().get(RACK);
            if (spines.contains(node.name())) {
                assertThat(sessions).hasSize(2 + 10); // the other spines and all ten rack RRs
            } else if (reflectors(model).contains(node.name())) {
                // its rack's clients and the spines, never another rack's RRs
                long rackClients = model.nodes().stream().filter(n -> rack.equals(n.labels().get(RACK))
                        && !reflectors(model).contains(n.name())).count();
                assertThat(sessions).hasSize(spines.size() + (int) rackClients);
                assertThat(sessions).allMatch(peer -> spines.contains(peer) || rack.equals(model.node(peer).labels().get(RACK)));
            } else {
                assertThat(sessions).hasSize(2)
                        .allMatch(peer -> rack.equals(model.node(peer).labels().get(RACK)) && !spines.contains(peer));
            }
        }
        survivesAnyFailuresOf(model, 1);
    }

    @Test
    void aRackWithoutEligibleNodesHasItsClientsPeerWithTheSpines() {
        List<NodeFacts> nodes = new ArrayList<>(racked(36, 12, "a", "b", "c"));
        // rack-2 is a pool of nodes no RR may come from
        nodes.replaceAll(n -> "rack-2".equals(n.labels().get(RACK)) ? ClusterModel.with(n, true, false,
                List.of(new NodeFacts.Taint("dedicated", "NoSchedule"))) : n);
        ClusterModel model = new ClusterModel(nodes);
        Convergence.converge(model, hierarchy(3), T0, 3);
        Bgp bgp = new Bgp(model.nodes(), model.peers(), false, Set.of());
        Set<String> spines = Set.copyOf(byClusterId(model).get("224.0.0.0"));
        model.nodes().stream().filter(n -> "rack-2".equals(n.labels().get(RACK)))
                .forEach(n -> assertThat(bgp.sessionsOf(n.name())).isEqualTo(spines));
        assertThat(model.peers()).extracting(PeerFacts::name).contains("rrc-group-spine");
        assertThat(bgp.unreachable()).isEmpty();
    }

    @Test
    void switchingBetweenAllFourTopologiesStaysSafeAtEveryStep() {
        ClusterModel model = new ClusterModel(racked(48, 12, "a", "b", "c"));
        RouteReflectorConfig multi = PlannerTest.config(0.2, 3, 10);
        Instant now = T0;
        for (TopologyType type : List.of(TopologyType.MULTI, TopologyType.QUORUM, TopologyType.HIERARCHY,
                TopologyType.SINGLE, TopologyType.HIERARCHY, TopologyType.QUORUM, TopologyType.MULTI)) {
            RouteReflectorConfig config = multi.toBuilder().topologyType(type).build();
            // Convergence asserts after every step that no node loses its last reflector session
            Convergence.converge(model, config, now, 4);
            now = now.plus(config.removalDelay()).plusSeconds(1);
            Convergence.converge(model, config, now, 4);
            assertThat(new Bgp(model.nodes(), model.peers(), false, Set.of()).unreachable()).as("%s", type).isEmpty();
            assertThat(Planner.plan(model.snapshot(), config, now).steps()).isEmpty();
        }
    }

    @Test
    void aStableQuorumOrHierarchyClusterReplansToNothingAndANewNodeCostsOneWrite() {
        // 60 × 0.09 and 61 × 0.09 both ask for 6: no boundary is crossed
        for (RouteReflectorConfig config : List.of(quorum(0.09, 3, 10), hierarchy(3))) {
            ClusterModel model = new ClusterModel(racked(60, 12, "a", "b", "c"));
            Convergence.converge(model, config, T0, 3);
            NodeFacts peer = model.node("node-059"); // the new node joins its rack and zone
            Map<String, String> labels = Map.of(RACK, peer.labels().get(RACK), "topology.kubernetes.io/zone",
                    zone(model, "node-059"), "kubernetes.io/hostname", "node-new");
            model.put(new NodeFacts("node-new", labels, Map.of(), true, false, List.of(), T0.plusSeconds(99_999)));
            Plan plan = Planner.plan(model.snapshot(), config, T0.plusSeconds(99_999));
            assertThat(plan.steps()).as("%s", config.topologyType()).hasSize(1);
            assertThat(plan.steps().get(0)).isInstanceOf(Step.PatchNode.class);
        }
    }

    @ParameterizedTest(name = "{0} eligible -> {1}")
    @CsvSource({"0,3", "50,3", "99,3", "100,5", "499,5", "500,8", "20000,8"})
    void steppingTakesTheLastStepReached(int eligible, int expected) {
        ReflectorCount stepping = new ReflectorCount.Stepping(List.of(new ReflectorCount.Step(0, 3),
                new ReflectorCount.Step(100, 5), new ReflectorCount.Step(500, 8)));
        assertThat(stepping.wanted(eligible)).isEqualTo(expected);
        assertThat(ZoneSplit.total(Math.max(eligible, 1), stepping, 1, 6)).isEqualTo(Math.min(Math.min(expected, 6),
                Math.max(eligible, 1)));
    }

    @Test
    void steppingDrivesThePlannedCount() {
        RouteReflectorConfig config = PlannerTest.config(0.005, 1, 10).toBuilder()
                .steps(List.of(new ReflectorCount.Step(0, 2), new ReflectorCount.Step(30, 4), new ReflectorCount.Step(50, 7)))
                .build();
        assertThat(config.calculation()).isInstanceOf(ReflectorCount.Stepping.class);
        for (int[] nodesToCount : new int[][] {{20, 2}, {30, 4}, {49, 4}, {60, 7}}) {
            ClusterModel model = new ClusterModel(PlannerTest.nodes(nodesToCount[0], "a", "b"));
            Convergence.converge(model, config, T0, 3);
            assertThat(reflectors(model)).as("%d nodes", nodesToCount[0]).hasSize(nodesToCount[1]);
        }
    }

    @Test
    void thePlanDoesNotDependOnTheOrderOfTheSnapshot() {
        for (TopologyType type : TopologyType.values()) {
            RouteReflectorConfig config = PlannerTest.config(0.1, 3, 10).toBuilder().topologyType(type).build();
            ClusterModel model = new ClusterModel(racked(90, 12, "a", "b", "c"));
            Convergence.converge(model, config, T0, 3);
            // a few events at once: new nodes, a cordoned RR, a group that lost members
            List<NodeFacts> nodes = new ArrayList<>(model.nodes());
            String rr = reflectors(model).iterator().next();
            nodes.replaceAll(n -> n.name().equals(rr) ? ClusterModel.with(n, true, true, List.of()) : n);
            nodes.removeIf(n -> n.name().compareTo("node-010") < 0 && !reflectors(model).contains(n.name()));
            nodes.addAll(racked(100, 12, "a", "b", "c").subList(90, 100));
            List<NodeFacts> sorted = nodes.stream().sorted(java.util.Comparator.comparing(NodeFacts::name)).toList();
            Plan expected = Planner.plan(new dev.calicorr.routereflector.model.ClusterSnapshot(sorted, List.copyOf(model.peers())),
                    config, T0.plusSeconds(9_999));
            assertThat(expected.steps()).isNotEmpty();
            for (long seed = 1; seed <= 5; seed++) {
                List<NodeFacts> shuffled = new ArrayList<>(sorted);
                java.util.Collections.shuffle(shuffled, new java.util.Random(seed));
                Plan plan = Planner.plan(new dev.calicorr.routereflector.model.ClusterSnapshot(shuffled, List.copyOf(model.peers())),
                        config, T0.plusSeconds(9_999));
                assertThat(plan.steps()).as("%s", type).isEqualTo(expected.steps());
                assertThat(plan.decisions()).isEqualTo(expected.decisions());
                assertThat(plan.warnings()).isEqualTo(expected.warnings());
                assertThat(plan.desiredPeers()).isEqualTo(expected.desiredPeers());
            }
        }
    }

    @Test
    void peersStayOrderRAndEveryClusterIdIsUsedByOneQuorumOrRackOnly() {
        ClusterModel model = new ClusterModel(racked(120, 10, "a", "b", "c"));
        Convergence.converge(model, hierarchy(3), T0, 3);
        Set<String> racksPerId = new HashSet<>();
        byClusterId(model).forEach((id, rrs) -> {
            if (!id.equals("224.0.0.0")) {
                assertThat(racksPerId.add(model.node(rrs.get(0)).labels().get(RACK))).isTrue();
            }
        });
        assertThat(racksPerId).hasSize(12);
        assertThat(model.peers().size()).isLessThanOrEqualTo(2 * reflectors(model).size() + 1);
        assertThat(model.nodes().stream().filter(n -> n.labels().containsKey(RR)).count()).isEqualTo(27);
    }
}
