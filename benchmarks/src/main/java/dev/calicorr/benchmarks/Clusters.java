package dev.calicorr.benchmarks;

import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.config.TopologyType;
import dev.calicorr.routereflector.model.ClusterSnapshot;
import dev.calicorr.routereflector.model.NodeFacts;
import dev.calicorr.routereflector.plan.Plan;
import dev.calicorr.routereflector.plan.Planner;
import dev.calicorr.routereflector.sim.ClusterModel;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Deterministic benchmark clusters: fixed seeds, fixed instants, realistic names and labels. */
final class Clusters {
    /** When the benchmark clusters are planned. */
    static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
    static final long SEED = 20260101L;
    /** Labels every node of a real cluster carries besides zone and hostname. */
    private static final Map<String, String> COMMON_LABELS = Map.of(
            "topology.kubernetes.io/region", "region-1",
            "kubernetes.io/arch", "amd64",
            "kubernetes.io/os", "linux",
            "node.kubernetes.io/instance-type", "m5.2xlarge",
            "beta.kubernetes.io/arch", "amd64",
            "beta.kubernetes.io/os", "linux");

    private Clusters() {
    }

    /**
     * ratio 0.005, min 3, max 20: 5 RRs at 1k nodes, 20 (the max) from 4k nodes on. MULTI with the
     * default 3 RRs per client.
     */
    static RouteReflectorConfig config(TopologyType topology) {
        return RouteReflectorConfig.builder().ratio(0.005).min(3).max(20).topologyType(topology)
                .routeReflectorsPerNode(RouteReflectorConfig.DEFAULT_ROUTE_REFLECTORS_PER_NODE)
                .removalDelay(Duration.ofSeconds(60)).build();
    }

    static String zone(int z) {
        return "zone-" + (char) ('a' + z);
    }

    /** EC2-style name, unique for i below 2^24. */
    static String name(int i) {
        return "ip-10-" + ((i >>> 16) & 0xff) + "-" + ((i >>> 8) & 0xff) + "-" + (i & 0xff) + ".ec2.internal";
    }

    /** A Ready, schedulable, untainted node with the usual labels. */
    static NodeFacts node(int i, String zone, Instant created) {
        NodeFacts base = ClusterModel.node(name(i), zone, true, created);
        Map<String, String> labels = new HashMap<>(base.labels());
        labels.putAll(COMMON_LABELS);
        return new NodeFacts(base.name(), labels, base.annotations(), true, false, List.of(), created);
    }

    /** {@code n} Ready nodes, each in a random zone, created at random times in the year before NOW. */
    static ClusterModel cluster(int n, int zones) {
        Random random = new Random(SEED);
        List<NodeFacts> nodes = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Instant created = NOW.minusSeconds(3600 + random.nextInt(365 * 24 * 3600));
            nodes.add(node(i, zone(random.nextInt(zones)), created));
        }
        return new ClusterModel(nodes);
    }

    /**
     * The model's snapshot with its nodes in a fixed pseudo-random order, as an informer cache
     * lists them (the model's own order is sorted by name, which would flatter the planner's sort).
     */
    static ClusterSnapshot snapshot(ClusterModel model) {
        ClusterSnapshot sorted = model.snapshot();
        List<NodeFacts> nodes = new ArrayList<>(sorted.nodes());
        Collections.shuffle(nodes, new Random(SEED));
        return new ClusterSnapshot(nodes, sorted.ownedPeers());
    }

    /** Plans and applies every step until a plan has none; returns the number of plans. */
    static int converge(ClusterModel model, RouteReflectorConfig config, Instant now, int maxPlans) {
        for (int round = 1; round <= maxPlans; round++) {
            Plan plan = Planner.plan(model.snapshot(), config, now);
            if (plan.steps().isEmpty()) {
                return round;
            }
            plan.steps().forEach(model::apply);
        }
        throw new IllegalStateException("no convergence after " + maxPlans + " plans");
    }
}
