package dev.calicorr.routereflector.plan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.config.TopologyType;
import dev.calicorr.routereflector.model.Names;
import dev.calicorr.routereflector.model.NodeFacts;
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
import java.util.Random;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Random clusters and random event sequences. After every event the controller re-plans and the
 * steps are applied one by one (Convergence checks no client loses its last RR at any step); once
 * converged the invariants of design §4 are checked.
 */
class PlannerPropertiesTest {
    private static final Instant T0 = PlannerTest.T0;
    private static final String RR = RouteReflectorConfig.DEFAULT_RR_LABEL_KEY;

    @Property(tries = 200)
    void randomEventSequencesKeepEveryInvariant(@ForAll @IntRange(min = 3, max = 120) int size,
            @ForAll @IntRange(min = 1, max = 5) int zoneCount, @ForAll long seed) {
        runScenario(size, zoneCount, seed, 25, true);
    }

    @Property(tries = 3)
    void largeClustersConvergeWithinBounds(@ForAll @IntRange(min = 1000, max = 5000) int size,
            @ForAll @IntRange(min = 1, max = 6) int zoneCount, @ForAll long seed) {
        runScenario(size, zoneCount, seed, 4, false);
    }

    private static void runScenario(int size, int zoneCount, long seed, int events, boolean checkRoutes) {
        Random random = new Random(seed);
        List<String> zones = new ArrayList<>();
        for (int z = 0; z < zoneCount; z++) {
            zones.add("zone-" + (char) ('a' + z));
        }
        List<NodeFacts> initial = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            initial.add(randomNode("n" + i, zones, random, T0.plusSeconds(i)));
        }
        ClusterModel model = new ClusterModel(initial);
        RouteReflectorConfig config = randomConfig(random);
        Instant now = T0.plusSeconds(size);
        int next = size;
        converge(model, config, now, checkRoutes);
        for (int e = 0; e < events; e++) {
            now = now.plusSeconds(random.nextInt(120));
            List<NodeFacts> all = List.copyOf(model.nodes());
            NodeFacts victim = all.isEmpty() ? null : all.get(random.nextInt(all.size()));
            switch (random.nextInt(9)) {
                case 0 -> model.put(randomNode("n" + next++, zones, random, now));
                case 1 -> {
                    if (victim != null && model.nodes().size() > 1) {
                        model.remove(victim.name());
                    }
                }
                case 2 -> {
                    if (victim != null) {
                        model.put(ClusterModel.with(victim, victim.ready(), !victim.unschedulable(), victim.taints()));
                    }
                }
                case 3 -> {
                    if (victim != null) {
                        model.put(ClusterModel.with(victim, !victim.ready(), victim.unschedulable(), victim.taints()));
                    }
                }
                case 4 -> {
                    if (victim != null) {
                        model.put(ClusterModel.with(victim, victim.ready(), victim.unschedulable(),
                                victim.taints().isEmpty() ? List.of(new NodeFacts.Taint("t", "NoExecute")) : List.of()));
                    }
                }
                case 5 -> { // zone loss: every node of one zone goes NotReady
                    String lost = zones.get(random.nextInt(zones.size()));
                    for (NodeFacts node : all) {
                        if (lost.equals(node.labels().get("topology.kubernetes.io/zone"))) {
                            model.put(ClusterModel.with(node, false, node.unschedulable(), node.taints()));
                        }
                    }
                }
                case 6 -> config = randomConfig(random);
                case 7 -> now = now.plus(config.removalDelay()).plusSeconds(1);
                default -> { } // time passes only
            }
            converge(model, config, now, checkRoutes);
        }
    }

    private static void converge(ClusterModel model, RouteReflectorConfig config, Instant now, boolean checkRoutes) {
        Convergence.converge(model, config, now, 4);
        // once converged, a re-plan is empty and nothing changes without a reason
        assertThat(Planner.plan(model.snapshot(), config, now).steps()).isEmpty();

        List<NodeFacts> reflectors = model.nodes().stream().filter(n -> n.labels().containsKey(RR)).toList();
        long eligible = model.nodes().stream().filter(n -> Planner.ineligibility(n, config) == null).count();
        Plan plan = Planner.plan(model.snapshot(), config, now);
        int target = plan.summary().desiredTotal();
        if (eligible > 0) {
            assertThat(target).isBetween(Math.min(config.min(), (int) eligible), config.max());
            // the target serves now (obsolete RRs may still be draining) ...
            long serving = reflectors.stream().filter(n -> Planner.ineligibility(n, config) == null).count();
            assertThat(serving).isGreaterThanOrEqualTo(target);
            // ... and exactly the target once removalDelay has passed
            ClusterModel later = model.copy();
            Convergence.converge(later, config, now.plus(config.removalDelay()).plusSeconds(1), 4);
            assertThat(later.nodes().stream().filter(n -> n.labels().containsKey(RR)).count()).isEqualTo(target);
        }
        // no cluster ID collision in multi
        if (config.topologyType() == TopologyType.MULTI) {
            Set<String> ids = new HashSet<>();
            for (NodeFacts rr : reflectors) {
                String id = rr.annotations().get(Names.CLUSTER_ID_ANNOTATION);
                assertThat(id).isNotNull();
                assertThat(ids.add(id)).as("cluster ID %s used twice", id).isTrue();
            }
        }
        long liveReflectors = reflectors.stream().filter(NodeFacts::ready).count();
        assertThat(model.peers().size()).isLessThanOrEqualTo(2 * reflectors.size() + 1);
        // every live client peers with a live RR whenever one exists
        if (liveReflectors > 0) {
            Bgp bgp = new Bgp(model.nodes(), model.peers(), false, Set.of());
            for (String node : bgp.upNodes()) {
                if (model.node(node).annotations().containsKey(Names.CLUSTER_ID_ANNOTATION)) {
                    continue; // a reflector itself: served by its own role
                }
                assertThat(bgp.hasReflector(node)).as("%s has no route reflector", node).isTrue();
            }
            if (checkRoutes && model.nodes().size() <= 60) {
                assertThat(bgp.unreachable()).isEmpty();
            }
        }
    }

    private static NodeFacts randomNode(String name, List<String> zones, Random random, Instant created) {
        Map<String, String> labels = new HashMap<>();
        labels.put("kubernetes.io/hostname", name);
        if (random.nextInt(20) > 0) {
            labels.put("topology.kubernetes.io/zone", zones.get(random.nextInt(zones.size())));
        }
        if (random.nextInt(10) == 0) {
            labels.put("rr-candidate", "true");
        }
        List<NodeFacts.Taint> taints = random.nextInt(15) == 0 ? List.of(new NodeFacts.Taint("t", "NoSchedule")) : List.of();
        return new NodeFacts(name, labels, Map.of(), random.nextInt(12) > 0, random.nextInt(15) == 0, taints, created);
    }

    private static RouteReflectorConfig randomConfig(Random random) {
        int min = 1 + random.nextInt(4);
        int max = min + random.nextInt(12);
        return RouteReflectorConfig.builder()
                .min(min).max(max)
                .ratio(0.001 + random.nextDouble() * 0.3)
                .topologyType(random.nextBoolean() ? TopologyType.MULTI : TopologyType.SINGLE)
                .routeReflectorsPerNode(1 + random.nextInt(4))
                .removalDelay(Duration.ofSeconds(random.nextInt(3) * 60L))
                .preferredLabels(random.nextBoolean() ? List.of() : List.of(
                        new dev.calicorr.routereflector.config.LabelMatch("rr-candidate", java.util.Optional.empty())))
                .build();
    }
}
