package dev.calicorr.routereflector.plan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.calicorr.routereflector.config.LabelMatch;
import dev.calicorr.routereflector.config.ReflectorCount;
import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.config.TopologyType;
import dev.calicorr.routereflector.model.ClusterSnapshot;
import dev.calicorr.routereflector.model.Names;
import dev.calicorr.routereflector.model.NodeFacts;
import dev.calicorr.routereflector.model.PeerFacts;
import dev.calicorr.routereflector.model.SessionFacts;
import dev.calicorr.routereflector.selector.Selector;
import dev.calicorr.routereflector.sim.Bgp;
import dev.calicorr.routereflector.sim.ClusterModel;
import dev.calicorr.routereflector.sim.Convergence;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PlannerTest {
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    static final String RR = RouteReflectorConfig.DEFAULT_RR_LABEL_KEY;

    /** n Ready nodes node-000.., round-robin over zones, created one minute apart. */
    static List<NodeFacts> nodes(int n, String... zones) {
        List<NodeFacts> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(ClusterModel.node(String.format("node-%03d", i), zones[i % zones.length], true, T0.plusSeconds(60L * i)));
        }
        return list;
    }

    static RouteReflectorConfig config(double ratio, int min, int max) {
        return RouteReflectorConfig.builder().ratio(ratio).min(min).max(max).removalDelay(Duration.ofSeconds(60)).build();
    }

    static Set<String> reflectors(ClusterModel model) {
        return model.nodes().stream().filter(n -> n.labels().containsKey(RR)
                && n.annotations().containsKey(Names.CLUSTER_ID_ANNOTATION)).map(NodeFacts::name)
                .collect(Collectors.toCollection(TreeSet::new));
    }

    static Map<String, Long> perZone(ClusterModel model) {
        return model.nodes().stream().filter(n -> reflectors(model).contains(n.name()))
                .collect(Collectors.groupingBy(n -> n.labels().get("topology.kubernetes.io/zone"), Collectors.counting()));
    }

    @ParameterizedTest(name = "{0} eligible, ratio {1}, min {2}, max {3} -> {4}")
    @CsvSource({"60,0.1,3,10,6", "60,0.005,3,10,3", "60,0.5,3,10,10", "2,0.5,3,10,2", "1000,0.005,3,10,5",
        "1000,0.0011,1,10,2", "7,1,1,100,7"})
    void countIsTheRatioClampedToMinMaxAndEligible(int eligible, double ratio, int min, int max, int expected) {
        assertThat(ZoneSplit.total(eligible, new ReflectorCount.Linear(ratio), min, max)).isEqualTo(expected);
    }

    @Test
    void zonesGetShareProportionalToTheirNodesAndAtLeastOneEachWhileTheTotalAllows() {
        assertThat(ZoneSplit.split(6, Map.of("a", 20, "b", 20, "c", 20))).containsExactlyInAnyOrderEntriesOf(
                Map.of("a", 2, "b", 2, "c", 2));
        assertThat(ZoneSplit.split(5, Map.of("a", 70, "b", 20, "c", 10))).containsExactlyInAnyOrderEntriesOf(
                Map.of("a", 3, "b", 1, "c", 1));
        assertThat(ZoneSplit.split(2, Map.of("a", 10, "b", 30, "c", 20))).containsExactlyInAnyOrderEntriesOf(
                Map.of("a", 0, "b", 1, "c", 1));
        // a zone never gets more than its eligible nodes: overflow goes to the next zone
        assertThat(ZoneSplit.split(5, Map.of("a", 1, "b", 40))).containsExactlyInAnyOrderEntriesOf(
                Map.of("a", 1, "b", 4));
    }

    /** Issue 15's first finding: at 3,000 nodes in zones of 1,000, one client deleted moved a seat (501 patches). */
    @Test
    void aClientDeletedOrAddedOnAZoneBoundaryMovesNoSeat() {
        ClusterModel model = new ClusterModel(nodes(3000, "a", "b", "c"));
        RouteReflectorConfig config = RouteReflectorConfig.defaults();
        Convergence.converge(model, config, T0, 3);
        Set<String> before = reflectors(model);
        assertThat(perZone(model)).containsExactlyInAnyOrderEntriesOf(Map.of("a", 4L, "b", 3L, "c", 3L));
        String client = model.nodes().stream().map(NodeFacts::name).filter(n -> !before.contains(n))
                .filter(n -> model.node(n).labels().get("topology.kubernetes.io/zone").equals("a")).findFirst().orElseThrow();
        NodeFacts deleted = model.node(client);

        model.remove(client);
        assertThat(Planner.plan(model.snapshot(), config, T0.plusSeconds(60)).steps()).isEmpty();
        model.put(ClusterModel.node(client, "a", true, deleted.created()));
        assertThat(Planner.plan(model.snapshot(), config, T0.plusSeconds(120)).steps()).hasSize(1); // its group label
        Convergence.converge(model, config, T0.plusSeconds(120), 3);
        assertThat(reflectors(model)).isEqualTo(before);
    }

    /**
     * A lost zone's clients are NotReady: nothing is written to them until they return, and no live
     * client moves either (issue 15): multi moves the zone's seats and keeps every group's clients
     * (600 nodes in 3 zones, 6 RRs, then 6 in two zones), or keeps the groups of the RRs that go
     * headless (6 RRs, then 4); quorum keeps its quorums (600 nodes in 4 zones, so quorums mix
     * zones: 9 RRs, and 9 after; the NotReady nodes still count), each replacing its lost member.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"MULTI, 0.02, 6, 3, 6", "MULTI, 0.01, 10, 3, 4", "QUORUM, 0.012, 9, 4, 9"})
    void aLostZoneWritesNoClientNotReadyOrLive(TopologyType topology, double ratio, int max, int zones, int after) {
        ClusterModel model = new ClusterModel(nodes(600, List.of("a", "b", "c", "d").subList(0, zones)
                .toArray(String[]::new)));
        RouteReflectorConfig config = config(ratio, 3, max).toBuilder().topologyType(topology).build();
        Convergence.converge(model, config, T0, 3);
        Set<String> lost = new TreeSet<>();
        for (NodeFacts node : new ArrayList<>(model.nodes())) {
            if (node.labels().get("topology.kubernetes.io/zone").equals("c")) {
                model.put(ClusterModel.with(node, false, false, List.of()));
                lost.add(node.name());
            }
        }
        Set<String> reflectorsBefore = reflectors(model);
        List<Step> steps = new ArrayList<>();
        for (int round = 0; round < 6; round++) {
            Plan plan = Convergence.applyOnce(model, config, T0.plusSeconds(3600 + 120L * round));
            steps.addAll(plan.steps());
        }
        assertThat(Planner.plan(model.snapshot(), config, T0.plusSeconds(9000)).steps()).isEmpty();
        assertThat(reflectors(model)).hasSize(after);
        // only RRs (old, new) are written; no client's group changes, NotReady or live
        assertThat(steps).filteredOn(s -> s instanceof Step.PatchNode)
                .allMatch(s -> reflectorsBefore.contains(((Step.PatchNode) s).node())
                        || reflectors(model).contains(((Step.PatchNode) s).node()), "a patch of an RR");
        assertThat(new Bgp(model.nodes(), model.peers(), false, Set.of()).unreachable()).isEmpty();
        assertThat(model.peers()).hasSizeLessThanOrEqualTo(2 * after + 1);

        for (String name : lost) { // the zone returns: each client gets a live group again
            model.put(ClusterModel.with(model.node(name), true, false, List.of()));
        }
        Convergence.converge(model, config, T0.plusSeconds(20000), 6);
        assertThat(new Bgp(model.nodes(), model.peers(), false, Set.of()).unreachable()).isEmpty();
    }

    @Test
    void clientsMoveOnlyBeyondTheBalanceBoundWhenGroupsAreAdded() {
        ClusterModel model = new ClusterModel(nodes(300, "a"));
        Convergence.converge(model, config(0.02, 3, 100), T0, 3);
        Map<String, String> groupBefore = new HashMap<>();
        model.nodes().forEach(n -> groupBefore.put(n.name(), n.labels().get(Names.GROUP_LABEL)));
        Map<String, Long> sizes = groupBefore.values().stream().filter(g -> g != null)
                .collect(Collectors.groupingBy(g -> g, Collectors.counting()));
        assertThat(sizes).hasSize(6).allSatisfy((group, size) -> assertThat(size).isEqualTo(49L));

        Convergence.converge(model, config(0.025, 3, 100), T0.plusSeconds(3600), 6); // 6 -> 8 RRs
        assertThat(reflectors(model)).hasSize(8);
        int clients = 300 - 8;
        long cap = (long) Math.ceil(ClientGroups.BALANCE_BOUND * clients / 8);
        Map<String, Long> after = model.nodes().stream().map(n -> n.labels().get(Names.GROUP_LABEL))
                .filter(g -> g != null).collect(Collectors.groupingBy(g -> g, Collectors.counting()));
        assertThat(after).hasSize(8).allSatisfy((group, size) -> assertThat(size).isLessThanOrEqualTo(cap));
        long moved = model.nodes().stream().filter(n -> groupBefore.get(n.name()) != null
                && n.labels().get(Names.GROUP_LABEL) != null
                && !groupBefore.get(n.name()).equals(n.labels().get(Names.GROUP_LABEL))).count();
        // each old group gives up only what its remaining clients exceed the bound by (an even split: ~6 x 12)
        Map<String, Long> stayingClients = model.nodes().stream().filter(n -> groupBefore.get(n.name()) != null
                && !reflectors(model).contains(n.name())).collect(Collectors.groupingBy(n -> groupBefore.get(n.name()),
                        Collectors.counting()));
        assertThat(moved).isEqualTo(stayingClients.values().stream().mapToLong(n -> Math.max(0, n - cap)).sum())
                .isLessThan(6 * 12);
    }

    @Test
    void sixtyNodesInThreeZonesConvergeToBalancedMultiTopology() {
        ClusterModel model = new ClusterModel(nodes(60, "a", "b", "c"));
        RouteReflectorConfig config = config(0.1, 3, 10);
        Convergence.converge(model, config, T0, 3);

        assertThat(reflectors(model)).hasSize(6);
        assertThat(perZone(model)).containsExactlyInAnyOrderEntriesOf(Map.of("a", 2L, "b", 2L, "c", 2L));
        // oldest first: node-000..node-005 are the oldest two of each zone
        assertThat(reflectors(model)).containsExactly("node-000", "node-001", "node-002", "node-003", "node-004",
                "node-005");
        Set<String> ids = model.nodes().stream().map(n -> n.annotations().get(Names.CLUSTER_ID_ANNOTATION))
                .filter(id -> id != null).collect(Collectors.toSet());
        assertThat(ids).containsExactlyInAnyOrder("224.0.0.1", "224.0.0.2", "224.0.0.3", "224.0.0.4", "224.0.0.5",
                "224.0.0.6");
        assertThat(model.peers()).hasSizeLessThanOrEqualTo(2 * 6 + 1);
        assertThat(model.peers()).extracting(PeerFacts::name).contains("rrc-mesh");
        // every client is in a group and sees 3 RRs, the first in its own zone
        for (NodeFacts node : model.nodes()) {
            if (!reflectors(model).contains(node.name())) {
                assertThat(node.labels()).containsKey(Names.GROUP_LABEL);
            }
        }
        Bgp bgp = new Bgp(model.nodes(), model.peers(), true, Set.of());
        for (NodeFacts node : model.nodes()) {
            if (!reflectors(model).contains(node.name())) {
                Set<String> rrs = new TreeSet<>(bgp.sessionsOf(node.name()));
                rrs.retainAll(reflectors(model));
                assertThat(rrs).hasSize(3);
                String zone = node.labels().get("topology.kubernetes.io/zone");
                assertThat(rrs).anyMatch(rr -> model.node(rr).labels().get("topology.kubernetes.io/zone").equals(zone));
                assertThat(rrs.stream().map(rr -> model.node(rr).labels().get("topology.kubernetes.io/zone")).distinct())
                        .hasSizeGreaterThanOrEqualTo(2);
            }
        }
        assertThat(bgp.unreachable()).isEmpty();
        Plan replan = Planner.plan(model.snapshot(), config, T0.plusSeconds(3600));
        assertThat(replan.steps()).isEmpty();
        // the summary's clients per RR are the sessions the BGPPeers really give
        for (String rr : reflectors(model)) {
            long sessions = model.nodes().stream().filter(n -> !reflectors(model).contains(n.name()))
                    .filter(n -> bgp.sessionsOf(n.name()).contains(rr)).count();
            assertThat(replan.summary().clientsPerReflector()).containsEntry(rr, (int) sessions);
        }
    }

    @Test
    void multiSurvivesAnyTwoReflectorFailuresWithThreePerClient() {
        ClusterModel model = new ClusterModel(nodes(30, "a", "b", "c"));
        Convergence.converge(model, config(0.2, 3, 10), T0, 3);
        List<String> rrs = new ArrayList<>(reflectors(model));
        assertThat(rrs).hasSize(6);
        for (int i = 0; i < rrs.size(); i++) {
            for (int j = i + 1; j < rrs.size(); j++) {
                Bgp bgp = new Bgp(model.nodes(), model.peers(), false, Set.of(rrs.get(i), rrs.get(j)));
                assertThat(bgp.unreachable()).as("failed %s and %s", rrs.get(i), rrs.get(j)).isEmpty();
            }
        }
    }

    @Test
    void singleTopologySharesOneClusterIdAndSurvivesAllButOneReflector() {
        ClusterModel model = new ClusterModel(nodes(20, "a", "b"));
        RouteReflectorConfig config = config(0.2, 3, 10).toBuilder().topologyType(TopologyType.SINGLE).build();
        Convergence.converge(model, config, T0, 3);
        assertThat(reflectors(model)).hasSize(4);
        assertThat(model.nodes().stream().map(n -> n.annotations().get(Names.CLUSTER_ID_ANNOTATION)).filter(id -> id != null)
                .distinct()).containsExactly("224.0.0.0");
        assertThat(model.peers()).extracting(PeerFacts::name).containsExactlyInAnyOrder("rrc-mesh", "rrc-clients");
        assertThat(model.nodes()).noneMatch(n -> n.labels().containsKey(Names.GROUP_LABEL));
        List<String> rrs = new ArrayList<>(reflectors(model));
        for (String survivor : rrs) {
            Set<String> failed = new java.util.HashSet<>(rrs);
            failed.remove(survivor);
            assertThat(new Bgp(model.nodes(), model.peers(), false, failed).unreachable()).isEmpty();
        }
    }

    @Test
    void switchingTopologyBothWaysStaysSafe() {
        ClusterModel model = new ClusterModel(nodes(24, "a", "b", "c"));
        RouteReflectorConfig multi = config(0.2, 3, 10);
        RouteReflectorConfig single = multi.toBuilder().topologyType(TopologyType.SINGLE).build();
        Convergence.converge(model, multi, T0, 3);
        Convergence.converge(model, single, T0, 3);
        assertThat(new Bgp(model.nodes(), model.peers(), false, Set.of()).unreachable()).isEmpty();
        Convergence.converge(model, multi, T0, 3);
        assertThat(new Bgp(model.nodes(), model.peers(), false, Set.of()).unreachable()).isEmpty();
        assertThat(model.peers()).extracting(PeerFacts::name).doesNotContain("rrc-clients");
    }

    @Test
    void aNewClientCostsOneWrite() {
        List<NodeFacts> initial = nodes(59, "a", "b", "c"); // 59 and 60 nodes both want 6 RRs at ratio 0.1
        ClusterModel model = new ClusterModel(initial);
        RouteReflectorConfig config = config(0.1, 3, 10);
        Convergence.converge(model, config, T0, 3);
        model.put(ClusterModel.node("node-new", "b", true, T0.plusSeconds(100_000)));
        Plan plan = Planner.plan(model.snapshot(), config, T0);
        assertThat(plan.steps()).hasSize(1);
        assertThat(plan.steps().get(0)).isInstanceOf(Step.PatchNode.class);
        assertThat(((Step.PatchNode) plan.steps().get(0)).labels()).containsOnlyKeys(Names.GROUP_LABEL);
    }

    @Test
    void onARatioBoundaryOneNodeComingAndGoingDoesNotFlapTheReflectorCount() {
        ClusterModel model = new ClusterModel(nodes(60, "a", "b", "c")); // exactly 6 RRs at ratio 0.1
        RouteReflectorConfig config = config(0.1, 3, 10);
        Convergence.converge(model, config, T0, 3);
        assertThat(reflectors(model)).hasSize(6);

        model.put(ClusterModel.node("node-new", "a", true, T0.plusSeconds(100_000))); // 61 nodes: 7 RRs
        Convergence.converge(model, config, T0.plusSeconds(200_000), 3);
        assertThat(reflectors(model)).hasSize(7);

        model.remove("node-new"); // back to 60: the seventh stays, nothing is written
        Plan plan = Planner.plan(model.snapshot(), config, T0.plusSeconds(300_000));
        assertThat(plan.steps()).isEmpty();
        assertThat(plan.warnings()).anyMatch(w -> w.contains("does not flap"));

        for (int i = 0; i < 11; i++) { // 49 nodes want 5: two below what serves, so it shrinks
            model.remove(String.format("node-%03d", 59 - i));
        }
        Convergence.converge(model, config, T0.plusSeconds(400_000), 4);
        Convergence.converge(model, config, T0.plusSeconds(500_000), 4);
        assertThat(reflectors(model)).hasSize(5);
    }

    @Test
    void aDeadReflectorIsReplacedAtOnceInItsZoneReusingItsIndexWithFewWrites() {
        ClusterModel model = new ClusterModel(nodes(60, "a", "b", "c"));
        RouteReflectorConfig config = config(0.1, 3, 10);
        Convergence.converge(model, config, T0, 3);
        String victim = "node-001"; // zone b
        String index = model.node(victim).labels().get(Names.RR_INDEX_LABEL);
        model.put(ClusterModel.with(model.node(victim), false, false, List.of()));

        Plan plan = Convergence.applyOnce(model, config, T0.plusSeconds(10));
        assertThat(plan.steps()).hasSizeLessThanOrEqualTo(3);
        assertThat(plan.decisions()).extracting(Decision::action).containsExactlyInAnyOrder("demote", "promote");
        assertThat(model.node(victim).labels()).doesNotContainKey(RR);
        String replacement = reflectors(model).stream()
                .filter(n -> index.equals(model.node(n).labels().get(Names.RR_INDEX_LABEL))).findFirst().orElseThrow();
        assertThat(model.node(replacement).labels().get("topology.kubernetes.io/zone")).isEqualTo("b");
        assertThat(Planner.plan(model.snapshot(), config, T0.plusSeconds(10)).steps()).isEmpty();
    }

    @Test
    void aCordonedReflectorKeepsServingUntilItsReplacementHasServedForTheRemovalDelay() {
        ClusterModel model = new ClusterModel(nodes(60, "a", "b", "c"));
        RouteReflectorConfig config = config(0.1, 3, 10);
        Convergence.converge(model, config, T0, 3);
        String cordoned = "node-000";
        model.put(ClusterModel.with(model.node(cordoned), true, true, List.of()));

        Instant t1 = T0.plusSeconds(1000);
        Plan first = Convergence.applyOnce(model, config, t1);
        assertThat(first.decisions()).extracting(Decision::action).containsExactly("promote");
        assertThat(reflectors(model)).hasSize(7).contains(cordoned);
        Plan waiting = Planner.plan(model.snapshot(), config, t1.plusSeconds(30));
        assertThat(waiting.steps()).isEmpty();
        assertThat(waiting.recheckAfter()).contains(Duration.ofSeconds(30));
        assertThat(waiting.warnings()).anyMatch(w -> w.contains(cordoned + " is obsolete (ineligible(cordoned))"));

        Plan demote = Convergence.applyOnce(model, config, t1.plusSeconds(60));
        assertThat(demote.decisions()).extracting(Decision::toString)
                .containsExactly("zone=a demote node-000 reason=ineligible(cordoned)");
        // cluster ID and index go first, with its client group label: a break step
        assertThat(demote.breakSteps()).anySatisfy(s -> assertThat(s).isInstanceOfSatisfying(Step.PatchNode.class,
                p -> {
                    assertThat(p.node()).isEqualTo(cordoned);
                    assertThat(p.annotations()).containsEntry(Names.CLUSTER_ID_ANNOTATION, null);
                    assertThat(p.labels()).containsOnlyKeys(Names.GROUP_LABEL, Names.RR_INDEX_LABEL);
                }));
        assertThat(model.node(cordoned).labels()).containsKey(RR);
        // the RR label in the next plan, once its sessions as a client are up: no second decision
        Plan unlabel = Convergence.applyOnce(model, config, t1.plusSeconds(61));
        assertThat(unlabel.decisions()).isEmpty();
        assertThat(unlabel.steps()).singleElement().isInstanceOfSatisfying(Step.PatchNode.class, p -> {
            assertThat(p.node()).isEqualTo(cordoned);
            assertThat(p.labels()).containsKey(RR).doesNotContainKey(Names.GROUP_LABEL);
        });
        assertThat(unlabel.breakFrom()).isZero();
        assertThat(reflectors(model)).hasSize(6).doesNotContain(cordoned);
    }

    @Test
    void aReplacementAdoptsTheGroupOfTheReflectorItReplacesSoNoClientIsRewritten() {
        ClusterModel model = new ClusterModel(nodes(600, "a", "b", "c"));
        RouteReflectorConfig config = config(0.01, 3, 10);
        Convergence.converge(model, config, T0, 3);
        String cordoned = reflectors(model).iterator().next();
        Map<String, String> groupsBefore = new HashMap<>();
        model.nodes().forEach(n -> groupsBefore.put(n.name(), n.labels().get(Names.GROUP_LABEL)));
        model.put(ClusterModel.with(model.node(cordoned), true, true, List.of()));

        Instant t1 = T0.plusSeconds(1000);
        Plan replace = Convergence.applyOnce(model, config, t1);
        String replacement = replace.decisions().get(0).node();
        Plan demote = Convergence.applyOnce(model, config, t1.plusSeconds(61));
        assertThat(demote.decisions()).extracting(Decision::node).containsExactly(cordoned);
        Plan unlabel = Convergence.applyOnce(model, config, t1.plusSeconds(61)); // it drops its RR label
        assertThat(Planner.plan(model.snapshot(), config, t1.plusSeconds(61)).steps()).isEmpty();

        // only the two RRs are written, plus the few peers the old RR was in: no client moved
        for (Plan plan : List.of(replace, demote, unlabel)) {
            assertThat(plan.steps()).filteredOn(s -> s instanceof Step.PatchNode)
                    .extracting(s -> ((Step.PatchNode) s).node()).isNotEmpty().isSubsetOf(replacement, cordoned);
        }
        assertThat(replace.steps().size() + demote.steps().size() + unlabel.steps().size())
                .isLessThanOrEqualTo(5 + 2 * 3 * 2);
        model.nodes().stream().filter(n -> !n.name().equals(cordoned) && !n.name().equals(replacement))
                .forEach(n -> assertThat(n.labels().get(Names.GROUP_LABEL)).isEqualTo(groupsBefore.get(n.name())));
        assertThat(model.node(cordoned).labels().get(Names.GROUP_LABEL)).isNotNull();
        assertThat(new Bgp(model.nodes(), model.peers(), false, Set.of()).unreachable()).isEmpty();
    }

    /** Session facts for these RRs: verified ones with 5 Established sessions, the others with 2 not Established. */
    private static ClusterSnapshot withSessions(ClusterModel model, Set<String> verified, Set<String> unverified) {
        Map<String, SessionFacts> facts = new HashMap<>();
        verified.forEach(rr -> facts.put(rr, new SessionFacts(5, 0, 0, true)));
        unverified.forEach(rr -> facts.put(rr, new SessionFacts(3, 2, 2, false)));
        ClusterSnapshot plain = model.snapshot();
        return new ClusterSnapshot(plain.nodes(), plain.ownedPeers(), Optional.of(facts));
    }

    private static void applyAll(ClusterModel model, Plan plan) {
        plan.steps().forEach(model::apply);
    }

    @Test
    void whereSessionsAreReportedAnObsoleteReflectorWaitsUntilItsReplacementHasEstablishedSessions() {
        ClusterModel model = new ClusterModel(nodes(60, "a", "b", "c"));
        RouteReflectorConfig config = config(0.1, 3, 10);
        Convergence.converge(model, config, T0, 3);
        Set<String> before = reflectors(model);
        String cordoned = "node-000";
        model.put(ClusterModel.with(model.node(cordoned), true, true, List.of()));
        Instant t1 = T0.plusSeconds(1000);
        applyAll(model, Planner.plan(withSessions(model, before, Set.of()), config, t1));
        Set<String> replacement = new TreeSet<>(reflectors(model));
        replacement.removeAll(before);
        assertThat(replacement).hasSize(1);
        Set<String> kept = new TreeSet<>(before);
        kept.remove(cordoned);

        // removalDelay is over, but the replacement's sessions are not all Established: it stays
        Plan waiting = Planner.plan(withSessions(model, kept, replacement), config, t1.plusSeconds(600));
        assertThat(waiting.steps()).isEmpty();
        assertThat(waiting.decisions()).isEmpty();
        assertThat(waiting.recheckAfter()).contains(Planner.SESSION_RECHECK);
        assertThat(waiting.warnings()).anyMatch(w -> w.contains(cordoned + " is obsolete (ineligible(cordoned))")
                && w.contains("waiting for " + replacement.iterator().next() + " (sessions not all Established)"));

        // no status reported at all for it yet: the same
        Plan unreported = Planner.plan(withSessions(model, kept, Set.of()), config, t1.plusSeconds(600));
        assertThat(unreported.decisions()).isEmpty();
        assertThat(unreported.warnings()).anyMatch(w -> w.contains("(no BGP status yet)"));

        // Established: demoted
        Plan demote = Planner.plan(withSessions(model, reflectors(model), Set.of()), config, t1.plusSeconds(600));
        assertThat(demote.decisions()).extracting(Decision::toString)
                .containsExactly("zone=a demote node-000 reason=ineligible(cordoned)");

        // and Established sessions do not shorten removalDelay
        Plan early = Planner.plan(withSessions(model, reflectors(model), Set.of()), config, t1.plusSeconds(30));
        assertThat(early.decisions()).isEmpty();
        assertThat(early.recheckAfter()).contains(Duration.ofSeconds(30));
    }

    @Test
    void aDeadObsoleteReflectorIsDemotedAtOnceWhateverTheSessionsSay() {
        ClusterModel model = new ClusterModel(nodes(60, "a", "b", "c"));
        RouteReflectorConfig config = config(0.1, 3, 10);
        Convergence.converge(model, config, T0, 3);
        model.put(ClusterModel.with(model.node("node-000"), false, false, List.of()));
        Plan plan = Planner.plan(withSessions(model, Set.of(), reflectors(model)), config, T0.plusSeconds(1000));
        assertThat(plan.decisions()).extracting(Decision::toString).contains("zone=a demote node-000 reason=ineligible(NotReady)");
    }

    private static int indexOf(List<Step> steps, java.util.function.Predicate<Step> test) {
        for (int i = 0; i < steps.size(); i++) {
            if (test.test(steps.get(i))) {
                return i;
            }
        }
        throw new AssertionError("no such step in " + steps);
    }

    @Test
    void promotionLabelsFirstThenPeersThenClusterId() {
        ClusterModel model = new ClusterModel(nodes(9, "a", "b", "c"));
        Plan plan = Planner.plan(model.snapshot(), config(0.1, 3, 10), T0);
        int firstLabel = indexOf(plan.steps(), s -> s instanceof Step.PatchNode p && p.labels().containsKey(RR));
        int firstPeer = indexOf(plan.steps(), s -> s instanceof Step.CreatePeer);
        int firstId = indexOf(plan.steps(), s -> s instanceof Step.PatchNode p
                && p.annotations().containsKey(Names.CLUSTER_ID_ANNOTATION));
        assertThat(firstLabel).isLessThan(firstPeer);
        assertThat(firstPeer).isLessThan(firstId);
        assertThat(plan.decisions()).extracting(Decision::toString).contains(
                "zone=a promote node-000 clusterID=224.0.0.1 reason=below-target(0<1)");
    }

    @Test
    void eligibilityHonoursReadinessCordonTaintsTolerationsSelectorsAndIncompatibleLabels() throws Exception {
        RouteReflectorConfig config = config(1, 1, 100).toBuilder()
                .tolerations(Set.of("example.com/ok"))
                .nodeSelector(Selector.parse("!has(no-rr)"))
                .incompatibleLabels(List.of(new LabelMatch("role", Optional.of("gpu")))).build();
        NodeFacts base = ClusterModel.node("n", "a", true, T0);
        Map<String, String> labels = new HashMap<>(base.labels());
        assertThat(Planner.ineligibility(base, config)).isNull();
        assertThat(Planner.ineligibility(ClusterModel.with(base, false, false, List.of()), config)).isEqualTo("NotReady");
        assertThat(Planner.ineligibility(ClusterModel.with(base, true, true, List.of()), config)).isEqualTo("cordoned");
        assertThat(Planner.ineligibility(ClusterModel.with(base, true, false,
                List.of(new NodeFacts.Taint("example.com/bad", "NoExecute"))), config)).startsWith("taint(");
        assertThat(Planner.ineligibility(ClusterModel.with(base, true, false,
                List.of(new NodeFacts.Taint("example.com/ok", "NoSchedule"),
                        new NodeFacts.Taint("example.com/soft", "PreferNoSchedule"))), config)).isNull();
        labels.put("no-rr", "");
        assertThat(Planner.ineligibility(new NodeFacts("n", labels, Map.of(), true, false, List.of(), T0), config))
                .isEqualTo("nodeSelector");
        labels.remove("no-rr");
        labels.put("role", "gpu");
        assertThat(Planner.ineligibility(new NodeFacts("n", labels, Map.of(), true, false, List.of(), T0), config))
                .isEqualTo("incompatibleLabels");
    }

    @Test
    void preferredNodesAreChosenFirst() {
        List<NodeFacts> list = new ArrayList<>(nodes(10, "a"));
        NodeFacts young = list.get(9);
        Map<String, String> labels = new HashMap<>(young.labels());
        labels.put("rr-candidate", "true");
        list.set(9, new NodeFacts(young.name(), labels, Map.of(), true, false, List.of(), young.created()));
        ClusterModel model = new ClusterModel(list);
        RouteReflectorConfig config = config(0.1, 2, 10).toBuilder()
                .preferredLabels(List.of(new LabelMatch("rr-candidate", Optional.empty()))).build();
        Convergence.converge(model, config, T0, 3);
        assertThat(reflectors(model)).containsExactly("node-000", "node-009");
    }

    @Test
    void zeroEligibleNodesTearsNothingDown() {
        ClusterModel model = new ClusterModel(nodes(12, "a", "b", "c"));
        RouteReflectorConfig config = config(0.25, 3, 10);
        Convergence.converge(model, config, T0, 3);
        Set<String> before = reflectors(model);
        for (NodeFacts node : List.copyOf(model.nodes())) {
            model.put(ClusterModel.with(node, true, true, List.of()));
        }
        Plan plan = Planner.plan(model.snapshot(), config, T0.plusSeconds(3600));
        assertThat(plan.steps()).isEmpty();
        assertThat(plan.warnings()).anyMatch(w -> w.startsWith("no eligible node"));
        assertThat(reflectors(model)).isEqualTo(before);
    }

    @Test
    void nodesWithoutTheZoneLabelUseTheLegacyOneOrFormTheEmptyZone() {
        NodeFacts legacy = new NodeFacts("legacy", Map.of("failure-domain.beta.kubernetes.io/zone", "old"), Map.of(),
                true, false, List.of(), T0);
        NodeFacts none = new NodeFacts("none", Map.of(), Map.of(), true, false, List.of(), T0);
        RouteReflectorConfig config = RouteReflectorConfig.defaults();
        assertThat(Planner.zoneOf(legacy.labels(), config)).isEqualTo("old");
        assertThat(Planner.zoneOf(none.labels(), config)).isEmpty();
        assertThat(Planner.zoneOf(legacy.labels(), config.toBuilder().zoneLabel("").build())).isEmpty();
        Plan plan = Planner.plan(new ClusterModel(List.of(legacy, none)).snapshot(), config, T0);
        assertThat(plan.warnings()).anyMatch(w -> w.startsWith("1 eligible node(s) have no topology.kubernetes.io/zone"));
    }

    @Test
    void anRrWhoseLabelWasRemovedByHandIsRelabelledNotTreatedAsForeign() {
        ClusterModel model = new ClusterModel(nodes(30, "a", "b", "c"));
        RouteReflectorConfig config = config(0.1, 3, 10);
        Convergence.converge(model, config, T0, 3);
        Set<String> before = reflectors(model);
        NodeFacts rr = model.node(before.iterator().next());
        Map<String, String> labels = new java.util.HashMap<>(rr.labels());
        labels.remove(RR);
        model.put(new NodeFacts(rr.name(), labels, rr.annotations(), true, false, List.of(), rr.created()));

        Plan plan = Planner.plan(model.snapshot(), config, T0.plusSeconds(3600));
        assertThat(plan.steps()).singleElement().isInstanceOfSatisfying(Step.PatchNode.class, step -> {
            assertThat(step.node()).isEqualTo(rr.name());
            assertThat(step.labels()).containsOnlyKeys(RR);
            assertThat(step.reason()).isEqualTo("relabel");
        });
        assertThat(plan.warnings()).noneMatch(w -> w.contains("left alone"));
    }

    @Test
    void aForeignRouteReflectorIsLeftAlone() {
        List<NodeFacts> list = new ArrayList<>(nodes(6, "a"));
        NodeFacts manual = list.get(0);
        list.set(0, new NodeFacts(manual.name(), manual.labels(), Map.of(Names.CLUSTER_ID_ANNOTATION, "10.9.9.9"), true,
                false, List.of(), manual.created()));
        ClusterModel model = new ClusterModel(list);
        Convergence.converge(model, config(0.5, 1, 10), T0, 3);
        assertThat(model.node(manual.name()).annotations()).containsEntry(Names.CLUSTER_ID_ANNOTATION, "10.9.9.9");
        assertThat(model.node(manual.name()).labels()).doesNotContainKeys(RR, Names.GROUP_LABEL);
    }

    @Test
    void narrowingAGroupPeerWaitsForTheBreakPhaseAndWritesNoUnionTheOldPeerAlreadyCovers() {
        ClusterModel model = new ClusterModel(nodes(30, "a", "b", "c"));
        RouteReflectorConfig three = config(0.2, 3, 10);
        Convergence.converge(model, three, T0, 3);
        RouteReflectorConfig one = three.toBuilder().routeReflectorsPerNode(1).build();
        Plan plan = Convergence.applyOnce(model, one, T0); // checks no client loses its last RR at any step
        // each group's peer selects its one RR already: nothing to widen, the narrowing is a break step
        assertThat(plan.makeSteps()).noneMatch(s -> s instanceof Step.UpdatePeer);
        assertThat(plan.breakSteps()).filteredOn(s -> s instanceof Step.UpdatePeer).isNotEmpty();
        assertThat(Planner.plan(model.snapshot(), one, T0).steps()).isEmpty();
        assertThat(model.peers()).allMatch(p -> !p.peerSelector().contains("||"));
    }

    @Test
    void replacingAnRrFirstWidensItsGroupsPeersThenNarrowsThemInTheBreakPhase() {
        ClusterModel model = new ClusterModel(nodes(30, "a", "b", "c"));
        RouteReflectorConfig config = config(0.1, 3, 10);
        Convergence.converge(model, config, T0, 3);
        String cordoned = reflectors(model).iterator().next();
        NodeFacts rr = model.node(cordoned);
        model.put(ClusterModel.with(rr, true, true, rr.taints()));

        Plan plan = Planner.plan(model.snapshot(), config, T0.plusSeconds(10));
        List<String> widened = plan.makeSteps().stream().filter(s -> s instanceof Step.UpdatePeer)
                .map(s -> ((Step.UpdatePeer) s).peer().peerSelector()).toList();
        assertThat(widened).isNotEmpty().allMatch(selector -> selector.contains(") || ("));
        assertThat(plan.breakSteps()).filteredOn(s -> s instanceof Step.UpdatePeer)
                .allMatch(s -> !((Step.UpdatePeer) s).peer().peerSelector().contains("||"));

        // after the make phase alone, a re-plan has only break steps: the make forms are not written again
        ClusterModel made = model.copy();
        plan.makeSteps().forEach(made::apply);
        Plan next = Planner.plan(made.snapshot(), config, T0.plusSeconds(20));
        assertThat(next.makeSteps()).isEmpty();
        assertThat(next.breakSteps()).isNotEmpty();
    }

    @Test
    void aClientMovingToAQuorumThatSharesNoRrWithItsOwnGetsThatQuorumsSessionsBeforeItLeaves() {
        ClusterModel model = new ClusterModel(nodes(60, "a", "b", "c"));
        RouteReflectorConfig config = config(0.1, 3, 10).toBuilder().topologyType(TopologyType.QUORUM).build();
        Convergence.converge(model, config, T0, 3);
        config = config.toBuilder().ratio(0.15).build(); // a third quorum: a third of the clients move to it

        Plan plan = Convergence.applyOnce(model.copy(), config, T0.plusSeconds(10)); // checks every write
        List<Step.PatchNode> across = plan.breakSteps().stream().filter(s -> s instanceof Step.PatchNode p
                && p.labels().containsKey(Names.GROUP_LABEL) && !p.labels().containsKey(RR)
                && p.annotations().isEmpty()).map(s -> (Step.PatchNode) s).toList();
        assertThat(across).as("clients of quorums 1 and 2 moving to the new quorum move in the break phase")
                .isNotEmpty();
        String newQuorum = across.get(0).labels().get(Names.GROUP_LABEL);
        String moving = across.get(0).node();
        String from = model.node(moving).labels().get(Names.GROUP_LABEL);
        assertThat(from).isNotNull().isNotEqualTo(newQuorum);
        // the make phase creates the new quorum's peer selecting the movers' current groups too ...
        assertThat(plan.makeSteps()).anySatisfy(s -> assertThat(s).isInstanceOfSatisfying(Step.CreatePeer.class,
                create -> {
                    assertThat(create.peer().name()).isEqualTo("rrc-group-" + newQuorum);
                    assertThat(create.peer().nodeSelector()).contains("'" + from + "'").contains("'" + newQuorum + "'");
                }));
        // ... so once it is written the mover has sessions with the RRs of both quorums
        ClusterModel made = model.copy();
        plan.makeSteps().forEach(made::apply);
        Bgp bgp = new Bgp(made.nodes(), made.peers(), false, Set.of());
        Set<String> quorumOf = made.nodes().stream().filter(n -> n.labels().containsKey(RR))
                .filter(n -> ("224.0.0." + newQuorum).equals(n.annotations().get(Names.CLUSTER_ID_ANNOTATION)))
                .map(NodeFacts::name).collect(Collectors.toSet());
        assertThat(quorumOf).hasSize(3);
        assertThat(bgp.sessionsOf(moving)).containsAll(quorumOf)
                .anyMatch(rr -> !quorumOf.contains(rr) && made.node(rr).annotations().containsKey(Names.CLUSTER_ID_ANNOTATION));
        // and the break phase narrows it back
        assertThat(plan.breakSteps()).anySatisfy(s -> assertThat(s).isInstanceOfSatisfying(Step.UpdatePeer.class,
                update -> assertThat(update.peer().nodeSelector()).endsWith("== '" + newQuorum + "'")));
        Convergence.converge(model, config, T0.plusSeconds(10), 4);
        assertThat(model.peers()).allMatch(p -> !p.nodeSelector().contains(" in "));
    }

    @Test
    void aStableClusterReplansToNothing() {
        ClusterModel model = new ClusterModel(nodes(200, "a", "b", "c", "d"));
        RouteReflectorConfig config = config(0.05, 3, 10);
        Convergence.converge(model, config, T0, 3);
        for (int hour = 1; hour < 5; hour++) {
            assertThat(Planner.plan(model.snapshot(), config, T0.plusSeconds(3600L * hour)).steps()).isEmpty();
        }
    }
}
