package dev.calicorr.benchmarks.churn;

import dev.calicorr.routereflector.cli.SyntheticCluster;
import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.config.TopologyType;
import dev.calicorr.routereflector.model.Names;
import dev.calicorr.routereflector.model.NodeFacts;
import dev.calicorr.routereflector.plan.Plan;
import dev.calicorr.routereflector.plan.Planner;
import dev.calicorr.routereflector.plan.Step;
import dev.calicorr.routereflector.sim.Bgp;
import dev.calicorr.routereflector.sim.ClusterModel;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * What single events cost, from the pure planner and {@link Bgp} (calico-node's rules): node
 * patches, BGPPeer writes and BGP session changes (added + removed, mesh off) that the
 * controller's writes make, from the cluster just after the event to the one it converges to (the
 * sessions an event itself takes away, with a node that goes, are not the controller's), for every
 * topology, equal and unequal zones, the default configuration and the scale benchmark's. Each
 * plan's steps are applied as the controller writes them; time moves past {@code removalDelay}
 * between plans. Prints a Markdown table. {@code ./bench.sh churn [nodes...]}.
 */
public final class ChurnBenchmark {
    private static final Instant T0 = SyntheticCluster.NOW;
    private static final String ZONE = RouteReflectorConfig.DEFAULT_ZONE_LABEL;
    private static final int MAX_PLANS = 30;

    private ChurnBenchmark() {
    }

    record Cost(int nodeWrites, int peerWrites, long sessionChanges, int reflectorsBefore, int reflectorsAfter) {
    }

    record Event(String name, UnaryOperator<RouteReflectorConfig> config, java.util.function.Consumer<ClusterModel> change) {
    }

    public static void main(String[] args) {
        List<Integer> sizes = new ArrayList<>();
        for (String arg : args) {
            sizes.add(Integer.parseInt(arg));
        }
        if (sizes.isEmpty()) {
            sizes = List.of(5000, 20000);
        }
        System.out.println("| topology | zones | config | nodes | event | R | node writes | peer writes | session changes |");
        System.out.println("| --- | --- | --- | ---: | --- | --- | ---: | ---: | ---: |");
        for (TopologyType topology : TopologyType.values()) {
            for (boolean equal : new boolean[] {true, false}) {
                for (boolean defaults : new boolean[] {true, false}) {
                    for (int n : sizes) {
                        run(topology, equal, defaults, n);
                    }
                }
            }
        }
    }

    private static RouteReflectorConfig config(TopologyType topology, boolean defaults) {
        RouteReflectorConfig.Builder builder = defaults ? RouteReflectorConfig.builder()
                : RouteReflectorConfig.builder().min(3).max(100).ratio(0.0047);
        return builder.topologyType(topology).removalDelay(Duration.ofSeconds(2)).build();
    }

    private static void run(TopologyType topology, boolean equal, boolean defaults, int n) {
        RouteReflectorConfig config = config(topology, defaults);
        List<NodeFacts> nodes = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            // equal: a, b, c in turn; unequal: 5 : 3 : 2
            String zone = equal ? SyntheticCluster.zone(i % 3)
                    : SyntheticCluster.zone(i % 10 < 5 ? 0 : i % 10 < 8 ? 1 : 2);
            nodes.add(SyntheticCluster.node(i, zone, T0.minusSeconds(n - i)));
        }
        ClusterModel converged = new ClusterModel(nodes);
        Cost first = converge(converged, config, T0);
        String prefix = String.format(Locale.ROOT, "| %s | %s | %s | %d |", topology.configName(),
                equal ? "equal" : "5:3:2", defaults ? "default" : "benchmark's", n);
        print(prefix, "first convergence", first);
        Instant later = T0.plusSeconds(3600);
        List<Event> events = List.of(
                new Event("one client added", c -> c, m -> m.put(SyntheticCluster.node(n, SyntheticCluster.zone(0), later))),
                new Event("one client removed", c -> c, m -> m.remove(firstClient(m))),
                new Event("one RR cordoned", c -> c, m -> m.put(ClusterModel.with(m.node(firstReflector(m)), true, true, List.of()))),
                new Event("one RR deleted", c -> c, m -> m.remove(firstReflector(m))),
                new Event("one RR failed (NotReady)", c -> c,
                        m -> m.put(ClusterModel.with(m.node(firstReflector(m)), false, false, List.of()))),
                new Event("one zone lost (NotReady)", c -> c, m -> new ArrayList<>(m.nodes()).stream()
                        .filter(x -> SyntheticCluster.zone(2).equals(x.labels().get(ZONE)))
                        .forEach(x -> m.put(ClusterModel.with(x, false, false, List.of())))),
                new Event(defaults ? "max 10 -> 8" : "ratio 0.0047 -> 0.004",
                        c -> defaults ? c.toBuilder().max(8).build() : c.toBuilder().ratio(0.004).build(), m -> { }));
        for (Event event : events) {
            ClusterModel after = converged.copy();
            event.change().accept(after);
            print(prefix, event.name(), converge(after, event.config().apply(config), later));
        }
    }

    private static void print(String prefix, String event, Cost cost) {
        System.out.printf(Locale.ROOT, "%s %s | %s | %d | %d | %d |%n", prefix, event,
                cost.reflectorsBefore() == cost.reflectorsAfter() ? String.valueOf(cost.reflectorsAfter())
                        : cost.reflectorsBefore() + " -> " + cost.reflectorsAfter(),
                cost.nodeWrites(), cost.peerWrites(), cost.sessionChanges());
    }

    /** Plans and applies until nothing is left; what the writes cost. */
    private static Cost converge(ClusterModel model, RouteReflectorConfig config, Instant now) {
        Bgp sessionsBefore = new Bgp(model.nodes(), model.peers(), false, Set.of());
        int reflectorsBefore = reflectors(model);
        int nodeWrites = 0;
        int peerWrites = 0;
        for (int round = 0; round < MAX_PLANS; round++) {
            Plan plan = Planner.plan(model.snapshot(), config, now.plusSeconds(10L * round));
            if (plan.steps().isEmpty()) {
                Bgp sessionsAfter = new Bgp(model.nodes(), model.peers(), false, Set.of());
                return new Cost(nodeWrites, peerWrites, Bgp.sessionChanges(sessionsBefore, sessionsAfter),
                        reflectorsBefore, reflectors(model));
            }
            for (Step step : plan.steps()) {
                if (step instanceof Step.PatchNode) {
                    nodeWrites++;
                } else {
                    peerWrites++;
                }
                model.apply(step);
            }
        }
        throw new IllegalStateException("no convergence within " + MAX_PLANS + " plans");
    }

    private static int reflectors(ClusterModel model) {
        return (int) model.nodes().stream().filter(ChurnBenchmark::serves).count();
    }

    private static boolean serves(NodeFacts node) {
        return node.annotations().containsKey(Names.CLUSTER_ID_ANNOTATION);
    }

    private static String firstReflector(ClusterModel model) {
        return model.nodes().stream().filter(ChurnBenchmark::serves).map(NodeFacts::name).sorted().findFirst().orElseThrow();
    }

    private static String firstClient(ClusterModel model) {
        return model.nodes().stream().filter(x -> !serves(x)).map(NodeFacts::name).sorted().findFirst().orElseThrow();
    }
}
