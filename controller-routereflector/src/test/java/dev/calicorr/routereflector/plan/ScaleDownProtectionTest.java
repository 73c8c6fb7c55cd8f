package dev.calicorr.routereflector.plan;

import static dev.calicorr.routereflector.plan.PlannerTest.T0;
import static dev.calicorr.routereflector.plan.PlannerTest.config;
import static dev.calicorr.routereflector.plan.PlannerTest.nodes;
import static dev.calicorr.routereflector.plan.PlannerTest.reflectors;
import static org.assertj.core.api.Assertions.assertThat;

import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.model.Names;
import dev.calicorr.routereflector.model.NodeFacts;
import dev.calicorr.routereflector.sim.ClusterModel;
import dev.calicorr.routereflector.sim.Convergence;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ScaleDownProtectionTest {
    private static final String CA = Names.SCALE_DOWN_DISABLED_ANNOTATION;
    private static final String KARPENTER = Names.DO_NOT_DISRUPT_ANNOTATION;
    private static final String OURS = Names.SCALE_DOWN_PROTECTION_ANNOTATION;

    private static NodeFacts annotated(NodeFacts node, String key, String value) {
        Map<String, String> annotations = new HashMap<>(node.annotations());
        annotations.put(key, value);
        return new NodeFacts(node.name(), node.labels(), annotations, node.ready(), node.unschedulable(), node.taints(),
                node.created());
    }

    @Test
    void servingReflectorsGetBothInTheWriteOfTheirClusterIdAndClientsNone() {
        ClusterModel model = new ClusterModel(nodes(30, "a", "b", "c"));
        RouteReflectorConfig config = config(0.1, 3, 10);
        Convergence.converge(model, config, T0, 3);
        for (NodeFacts node : model.nodes()) {
            if (reflectors(model).contains(node.name())) {
                assertThat(node.annotations()).containsEntry(CA, "true").containsEntry(KARPENTER, "true")
                        .containsEntry(OURS, CA + "," + KARPENTER);
            } else {
                assertThat(node.annotations()).doesNotContainKeys(CA, KARPENTER, OURS);
            }
        }
        // no write of its own: each RR's annotations change in one patch with its cluster ID
        ClusterModel fresh = new ClusterModel(nodes(30, "a", "b", "c"));
        Plan first = Planner.plan(fresh.snapshot(), config, T0);
        assertThat(first.steps()).filteredOn(s -> s instanceof Step.PatchNode p && p.annotations().containsKey(CA))
                .allMatch(s -> ((Step.PatchNode) s).annotations().containsKey(Names.CLUSTER_ID_ANNOTATION));
    }

    @Test
    void theOperatorsAnnotationsAreNeverTouchedAndOursGoWithTheRole() {
        List<NodeFacts> initial = nodes(30, "a", "b", "c").stream()
                .map(n -> annotated(n, KARPENTER, "false")).toList(); // the operator's, with a value of their own
        ClusterModel model = new ClusterModel(initial);
        RouteReflectorConfig config = config(0.1, 3, 10);
        Convergence.converge(model, config, T0, 3);
        String rr = reflectors(model).iterator().next();
        assertThat(model.node(rr).annotations()).containsEntry(CA, "true").containsEntry(KARPENTER, "false")
                .containsEntry(OURS, CA);

        model.put(ClusterModel.with(model.node(rr), true, true, List.of())); // cordoned: demoted
        Convergence.converge(model, config, T0.plusSeconds(3600), 3); // its successor serves
        Convergence.converge(model, config, T0.plusSeconds(3700), 3); // past the removal delay
        assertThat(reflectors(model)).doesNotContain(rr);
        assertThat(model.node(rr).annotations()).doesNotContainKeys(CA, OURS).containsEntry(KARPENTER, "false");

        Convergence.converge(model, config.toBuilder().protectFromScaleDown(false).build(), T0.plusSeconds(7200), 3);
        for (NodeFacts node : model.nodes()) {
            assertThat(node.annotations()).doesNotContainKeys(CA, OURS).containsEntry(KARPENTER, "false");
        }
    }

    @Test
    void aClientWithOurBookkeepingLosesOnlyWhatItLists() {
        ClusterModel model = new ClusterModel(nodes(30, "a", "b", "c"));
        RouteReflectorConfig config = config(0.1, 3, 10);
        Convergence.converge(model, config, T0, 3);
        String client = model.nodes().stream().map(NodeFacts::name).filter(n -> !reflectors(model).contains(n))
                .findFirst().orElseThrow();
        // e.g. left by a crash between two writes, or edited by hand: a repeated and an unknown entry
        NodeFacts odd = annotated(annotated(annotated(model.node(client), OURS, KARPENTER + "," + KARPENTER + ",x"),
                KARPENTER, "true"), CA, "true");
        model.put(odd);
        Plan plan = Planner.plan(model.snapshot(), config, T0.plusSeconds(3600));
        assertThat(plan.steps()).hasSize(1);
        Convergence.converge(model, config, T0.plusSeconds(3600), 3);
        assertThat(model.node(client).annotations()).doesNotContainKeys(KARPENTER, OURS).containsEntry(CA, "true");
    }
}
