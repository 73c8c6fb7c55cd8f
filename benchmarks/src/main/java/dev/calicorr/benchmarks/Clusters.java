package dev.calicorr.benchmarks;

import dev.calicorr.routereflector.cli.SyntheticCluster;
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
import java.util.List;
import java.util.Random;

/**
 * Deterministic benchmark clusters: fixed seeds, fixed instants, realistic names and labels; the
 * nodes are the plan CLI's synthetic ones ({@code plan --synthetic nodes=N,zones=Z}).
 */
final class Clusters {
    /** When the benchmark clusters are planned. */
    static final Instant NOW = SyntheticCluster.NOW;
    static final long SEED = SyntheticCluster.DEFAULT_SEED;

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
        return SyntheticCluster.zone(z);
    }

    /** A Ready, schedulable, untainted node with the usual labels. */
    static NodeFacts node(int i, String zone, Instant created) {
        return SyntheticCluster.node(i, zone, created);
    }

    /** {@code n} Ready nodes, each in a random zone, created at random times in the year before NOW. */
    static ClusterModel cluster(int n, int zones) {
        return new ClusterModel(SyntheticCluster.nodes(new SyntheticCluster.Spec(n, zones, 0, SEED)));
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
