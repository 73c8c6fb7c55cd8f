package dev.calicorr.benchmarks;

import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.config.TopologyType;
import dev.calicorr.routereflector.model.ClusterSnapshot;
import dev.calicorr.routereflector.model.NodeFacts;
import dev.calicorr.routereflector.plan.Plan;
import dev.calicorr.routereflector.plan.Planner;
import dev.calicorr.routereflector.sim.ClusterModel;
import java.time.Instant;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of one {@link Planner#plan} call (the controller's whole decision, pure, no I/O) on
 * clusters of 1k to 100k nodes. The snapshot is built in the setup; only planning is measured.
 * Run with {@code ./bench.sh planner} (docs/benchmarks.md).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
// 2 cores: the JIT needs ~5 s before the 1k-node cases are steady; a fixed, pre-touched heap keeps
// first-touch page faults (which made later iterations slower) out of the measurement
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-XX:+AlwaysPreTouch"})
public class PlannerBenchmark {

    /** The cluster shape both benchmarks share (JMH wants @State on every class declaring a @Param). */
    @State(Scope.Benchmark)
    public abstract static class Shape {
        @Param({"1000", "5000", "20000", "100000"})
        public int nodes;

        @Param({"3", "10"})
        public int zones;

        @Param({"SINGLE", "MULTI"})
        public TopologyType topology;

        RouteReflectorConfig config;

        void describe(String what, Plan plan) {
            System.out.printf("%n# %s: %d nodes, %d zones, %s: %s; measured plan: %d steps, %d desired peers, "
                    + "%d RRs desired%n", this instanceof Empty ? "fullPlan" : "replanAfterOneEvent", nodes, zones, topology, what,
                    plan.steps().size(), plan.desiredPeers().size(), plan.summary().desiredTotal());
        }
    }

    /** A cluster with no route reflector yet: nothing labelled, no BGPPeer. */
    @State(Scope.Benchmark)
    public static class Empty extends Shape {
        ClusterSnapshot snapshot;

        @Setup(Level.Trial)
        public void setUp() {
            config = Clusters.config(topology);
            snapshot = Clusters.snapshot(Clusters.cluster(nodes, zones));
            describe("no RR yet", Planner.plan(snapshot, config, Clusters.NOW));
        }
    }

    /** What happens to a converged cluster before the controller re-plans. */
    public enum Event {
        /** a new Ready node joins zone-a */
        NODE_ADDED,
        /** the route reflector first by name is cordoned: it must be replaced (and drained) */
        RR_CORDONED
    }

    /** A converged cluster (every plan step applied until a plan has none) plus one event. */
    @State(Scope.Benchmark)
    public static class Converged extends Shape {
        @Param({"NODE_ADDED", "RR_CORDONED"})
        public Event event;

        ClusterSnapshot snapshot;
        Instant now;

        @Setup(Level.Trial)
        public void setUp() {
            config = Clusters.config(topology);
            ClusterModel model = Clusters.cluster(nodes, zones);
            int plans = Clusters.converge(model, config, Clusters.NOW, 10);
            now = Clusters.NOW.plusSeconds(3600);
            switch (event) {
                case NODE_ADDED -> model.put(Clusters.node(nodes, Clusters.zone(0), now));
                case RR_CORDONED -> {
                    NodeFacts rr = model.nodes().stream()
                            .filter(n -> n.labels().containsKey(config.routeReflectorLabelKey()))
                            .min(Comparator.comparing(NodeFacts::name))
                            .orElseThrow(() -> new IllegalStateException("converged without an RR"));
                    model.put(ClusterModel.with(rr, true, true, rr.taints()));
                }
                default -> throw new IllegalArgumentException("event " + event);
            }
            snapshot = Clusters.snapshot(model);
            describe("converged in " + plans + " plans, then " + event, Planner.plan(snapshot, config, now));
        }
    }

    @Benchmark
    public Plan fullPlan(Empty state) {
        return Planner.plan(state.snapshot, state.config, Clusters.NOW);
    }

    @Benchmark
    public Plan replanAfterOneEvent(Converged state) {
        return Planner.plan(state.snapshot, state.config, state.now);
    }
}
