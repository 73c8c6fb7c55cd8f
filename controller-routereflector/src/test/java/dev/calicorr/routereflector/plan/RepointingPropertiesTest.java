package dev.calicorr.routereflector.plan;

import static dev.calicorr.routereflector.plan.PlannerTest.T0;
import static dev.calicorr.routereflector.plan.PlannerTest.reflectors;
import static org.assertj.core.api.Assertions.assertThat;

import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.config.TopologyType;
import dev.calicorr.routereflector.model.NodeFacts;
import dev.calicorr.routereflector.sim.Bgp;
import dev.calicorr.routereflector.sim.ClusterModel;
import dev.calicorr.routereflector.sim.Convergence;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Groups re-pointed, not clients moved (issue 15): when one route reflector goes (cordoned, its
 * node deleted, or NotReady past notReadyGrace), its successor takes its place and the groups it
 * served are re-pointed; no client is written, in any topology.
 */
class RepointingPropertiesTest {
    @Property(tries = 300)
    void losingOneRouteReflectorWritesNoClient(@ForAll TopologyType topology,
            @ForAll @IntRange(min = 40, max = 240) int size, @ForAll @IntRange(min = 1, max = 3) int zoneCount,
            @ForAll @IntRange(min = 0, max = 2) int event, @ForAll long seed) {
        Random random = new Random(seed);
        String[] zones = List.of("a", "b", "c").subList(0, zoneCount).toArray(String[]::new);
        ClusterModel model = new ClusterModel(TopologiesTest.racked(size, 10, zones));
        RouteReflectorConfig config = (topology == TopologyType.HIERARCHY ? TopologiesTest.hierarchy(3)
                : PlannerTest.config(0.05, 3, 12).toBuilder().topologyType(topology).build());
        Convergence.converge(model, config, T0, 6);
        Set<String> before = reflectors(model);
        List<String> serving = new ArrayList<>(before);
        String gone = serving.get(random.nextInt(serving.size()));
        NodeFacts node = model.node(gone);
        switch (event) {
            case 0 -> model.put(ClusterModel.with(node, true, true, node.taints()));
            case 1 -> model.remove(gone);
            default -> model.put(ClusterModel.with(node, false, false, node.taints()));
        }
        Set<String> clients = new TreeSet<>(model.nodes().stream().map(NodeFacts::name).toList());
        clients.removeAll(before);
        List<Step> steps = new ArrayList<>();
        Instant now = T0.plusSeconds(3600);
        for (int round = 0; round < 8; round++) {
            steps.addAll(Convergence.applyOnce(model, config, now).steps());
            now = now.plus(config.removalDelay()).plus(config.notReadyGrace()).plusSeconds(1);
        }
        assertThat(Planner.plan(model.snapshot(), config, now).steps()).as("converged").isEmpty();
        assertThat(steps).filteredOn(s -> s instanceof Step.PatchNode p && clients.contains(p.node())
                        && !reflectors(model).contains(p.node()))
                .as("patches of nodes that were clients and still are").isEmpty();
        assertThat(new Bgp(model.nodes(), model.peers(), false, Set.of()).unreachable()).isEmpty();
    }
}
