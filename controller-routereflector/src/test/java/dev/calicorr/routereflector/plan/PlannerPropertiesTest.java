package dev.calicorr.routereflector.plan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.calicorr.routereflector.config.ReflectorCount;
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
 * Random clusters and random event sequences, in all four topologies (each config edit picks one).
 * After every event the controller re-plans and the steps are applied one by one, make steps then
 * break steps; after every single write {@link Convergence} checks the transition invariant: each
 * client still has a reflector session ({@link Bgp}) that existed before the write, with an RR that
 * served before it and still does. Once converged the invariants of design §4 are checked.
 */
class PlannerPropertiesTest {
    private static final Instant T0 = PlannerTest.T0;
    private static final String RR = RouteReflectorConfig.DEFAULT_RR_LABEL_KEY;
    private static final String RACK = RouteReflectorConfig.DEFAULT_RACK_LABEL;
    private static final String SHARED_ID = "224.0.0.0";

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

    /**
     * A sequence that found a client back from NotReady whose group had lost its peer: the plan gave
     * it that group's new peer and then moved it on (headless groups now keep NotReady clients' peers).
     */
    @org.junit.jupiter.api.Test
    void aClientBackFromNotReadyAfterItsGroupChanged() {
        runScenario(109, 1, 15496L, 25, true);
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
        converge(model, config, now, checkRoutes, random);
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
            converge(model, config, now, checkRoutes, random);
        }
    }

    private static void converge(ClusterModel model, RouteReflectorConfig config, Instant now, boolean checkRoutes,
            Random random) {
        Convergence.converge(model, config, now, 4);
        // once converged, a re-plan is empty and nothing changes without a reason
        assertThat(Planner.plan(model.snapshot(), config, now).steps()).isEmpty();

        List<NodeFacts> reflectors = model.nodes().stream().filter(n -> n.labels().containsKey(RR)).toList();
        long eligible = model.nodes().stream().filter(n -> Planner.ineligibility(n, config) == null).count();
        Plan plan = Planner.plan(model.snapshot(), config, now);
        int target = plan.summary().desiredTotal();
        TopologyType topology = config.topologyType();
        boolean drainingNow = plan.recheckAfter().isPresent();
        if (eligible > 0 && !(topology == TopologyType.HIERARCHY && drainingNow)) {
            // hierarchy counts spines by min/max; its rack RRs come on top
            long counted = topology == TopologyType.HIERARCHY ? reflectors.stream().filter(n -> !drainingNow && SHARED_ID.equals(
                    n.annotations().get(Names.CLUSTER_ID_ANNOTATION)) && Planner.ineligibility(n, config) == null).count()
                    : target;
            // hierarchy: rack RRs do not turn into spines while another spine exists, so min may go unmet
            int floor = switch (topology) {
                case QUORUM -> Math.min(config.min(), (int) eligible / 3 * 3);
                case HIERARCHY -> 1;
                default -> Math.min(config.min(), (int) eligible);
            };
            assertThat(counted).as("%s with %d eligible (%s)", topology, eligible, config).isBetween((long) Math.min(floor, 3), (long) config.max());
            if (topology != TopologyType.QUORUM) {
                assertThat(counted).isGreaterThanOrEqualTo(floor);
            }
            if (topology == TopologyType.QUORUM && eligible >= 3) {
                assertThat(target % 3).as("whole quorums").isZero();
            }
            // the target serves now (obsolete RRs may still be draining) ...
            long serving = reflectors.stream().filter(n -> Planner.ineligibility(n, config) == null).count();
            assertThat(serving).isGreaterThanOrEqualTo(target);
            // ... and exactly the target once removalDelay has passed
            ClusterModel later = model.copy();
            Convergence.converge(later, config, now.plus(config.removalDelay()).plusSeconds(1), 4);
            assertThat(later.nodes().stream().filter(n -> n.labels().containsKey(RR)).count()).isEqualTo(target);
        }
        Map<String, List<NodeFacts>> byId = new HashMap<>();
        for (NodeFacts rr : reflectors) {
            String id = rr.annotations().get(Names.CLUSTER_ID_ANNOTATION);
            assertThat(id).isNotNull();
            byId.computeIfAbsent(id, k -> new ArrayList<>()).add(rr);
        }
        byId.forEach((id, members) -> {
            switch (topology) {
                case MULTI -> assertThat(members).as("cluster ID %s used twice", id).hasSize(1);
                case QUORUM -> assertThat(members.stream().filter(n -> Planner.ineligibility(n, config) == null))
                        .as("quorum %s", id).hasSizeLessThanOrEqualTo(drainingNow ? members.size() : 3);
                case HIERARCHY -> {
                    if (!SHARED_ID.equals(id) && !drainingNow) {
                        assertThat(members.stream().filter(n -> Planner.ineligibility(n, config) == null)
                                .map(n -> n.labels().getOrDefault(RACK, "")).distinct()).as("rack ID %s", id)
                                .hasSizeLessThanOrEqualTo(1);
                    }
                }
                case SINGLE -> assertThat(id).isEqualTo(SHARED_ID);
            }
        });
        long liveReflectors = reflectors.stream().filter(NodeFacts::ready).count();
        assertThat(model.peers().size()).isLessThanOrEqualTo(2 * reflectors.size() + 1);
        // every live client peers with a live RR whenever one exists
        if (liveReflectors > 0) {
            Bgp bgp = new Bgp(model.nodes(), model.peers(), false, Set.of());
            for (String node : bgp.upNodes()) {
                if (model.node(node).annotations().containsKey(Names.CLUSTER_ID_ANNOTATION)) {
                    continue; // a reflector itself: served by its own role
                }
                assertThat(bgp.hasReflector(node)).as("%s has no route reflector (%s)", node, config).isTrue();
            }
            if (checkRoutes && model.nodes().size() <= 60) {
                assertThat(bgp.unreachable()).as("%s: %s", topology, model.peers()).isEmpty();
                Set<String> failed = drainingNow ? Set.of() // some RRs are still draining
                        : tolerated(model, config, reflectors, random);
                assertThat(new Bgp(model.nodes(), model.peers(), false, failed).unreachable())
                        .as("%s with %s failed", topology, failed).isEmpty();
            }
        }
    }

    /**
     * Random RRs the topology promises to survive losing, once converged with every RR live:
     * k − 1 (multi), all but one (single), two (quorum, all quorums whole), one (hierarchy with
     * two or more RRs in every rack group and two or more spines).
     */
    private static Set<String> tolerated(ClusterModel model, RouteReflectorConfig config, List<NodeFacts> reflectors,
            Random random) {
        List<String> live = reflectors.stream().filter(NodeFacts::ready).map(NodeFacts::name).sorted().toList();
        if (live.size() != reflectors.size() || live.size() < 2) {
            return Set.of();
        }
        Map<String, Long> perId = reflectors.stream().collect(java.util.stream.Collectors.groupingBy(
                n -> n.annotations().get(Names.CLUSTER_ID_ANNOTATION), java.util.stream.Collectors.counting()));
        int count = switch (config.topologyType()) {
            case SINGLE -> live.size() - 1;
            case MULTI -> Math.min(config.routeReflectorsPerNode(), live.size()) - 1;
            case QUORUM -> perId.values().stream().allMatch(c -> c == 3) ? 2 : 0;
            case HIERARCHY -> perId.values().stream().allMatch(c -> c >= 2) ? 1 : 0;
        };
        List<String> shuffled = new ArrayList<>(live);
        java.util.Collections.shuffle(shuffled, random);
        return Set.copyOf(shuffled.subList(0, count));
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
        if (random.nextInt(10) > 0) {
            labels.put(RACK, "rack-" + random.nextInt(6));
        }
        List<NodeFacts.Taint> taints = random.nextInt(15) == 0 ? List.of(new NodeFacts.Taint("t", "NoSchedule")) : List.of();
        return new NodeFacts(name, labels, Map.of(), random.nextInt(12) > 0, random.nextInt(15) == 0, taints, created);
    }

    private static RouteReflectorConfig randomConfig(Random random) {
        TopologyType topology = TopologyType.values()[random.nextInt(TopologyType.values().length)];
        int min = 1 + random.nextInt(4);
        int max = min + random.nextInt(12);
        if (topology == TopologyType.QUORUM) {
            max = Math.max(max, 3);
            min = Math.min(min, max / 3 * 3);
        }
        List<ReflectorCount.Step> steps = new ArrayList<>();
        if (random.nextInt(3) == 0) {
            int nodes = random.nextInt(10);
            int reflectors = 1 + random.nextInt(max);
            for (int i = 0; i < 1 + random.nextInt(4) && reflectors <= max; i++) {
                steps.add(new ReflectorCount.Step(nodes, reflectors));
                nodes += 1 + random.nextInt(40);
                reflectors += random.nextInt(3);
            }
        }
        return RouteReflectorConfig.builder()
                .min(min).max(max)
                .ratio(0.001 + random.nextDouble() * 0.3)
                .steps(steps)
                .topologyType(topology)
                .routeReflectorsPerNode(1 + random.nextInt(4))
                .reflectorsPerRack(1 + random.nextInt(3))
                .removalDelay(Duration.ofSeconds(random.nextInt(3) * 60L))
                .preferredLabels(random.nextBoolean() ? List.of() : List.of(
                        new dev.calicorr.routereflector.config.LabelMatch("rr-candidate", java.util.Optional.empty())))
                .build();
    }
}
