package dev.calicorr.routereflector.apply;

import static dev.calicorr.routereflector.apply.LiveChecks.RR;
import static dev.calicorr.routereflector.apply.LiveChecks.ZONES;
import static dev.calicorr.routereflector.apply.LiveChecks.await;
import static dev.calicorr.routereflector.apply.LiveChecks.awaitTopology;
import static dev.calicorr.routereflector.apply.LiveChecks.createConfiguration;
import static dev.calicorr.routereflector.apply.LiveChecks.editSection;
import static dev.calicorr.routereflector.apply.LiveChecks.newHost;
import static dev.calicorr.routereflector.apply.LiveChecks.observed;
import static org.assertj.core.api.Assertions.assertThat;

import dev.calicorr.core.runtime.Host;
import dev.calicorr.routereflector.RouteReflectorPlugin;
import dev.calicorr.routereflector.model.ClusterSnapshot;
import dev.calicorr.routereflector.model.Names;
import dev.calicorr.routereflector.model.NodeFacts;
import dev.calicorr.testsupport.ControlPlane;
import dev.calicorr.testsupport.RealControlPlane;
import dev.calicorr.testsupport.SimulatedNodes;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Serving route reflectors carry cluster-autoscaler's and Karpenter's scale-down annotations while
 * they serve, and lose exactly the ones the controller added when they stop (under
 * deploy/node-policy.yaml, as every IT). Half the nodes carry the operator's own
 * {@code karpenter.sh/do-not-disrupt}, which must stay as it is on every node, RR or not.
 */
@RealControlPlane
class ScaleDownProtectionIT {
    private static final String CA = Names.SCALE_DOWN_DISABLED_ANNOTATION;
    private static final String KARPENTER = Names.DO_NOT_DISRUPT_ANNOTATION;
    private static final String OURS = Names.SCALE_DOWN_PROTECTION_ANNOTATION;
    private Host host;

    @AfterEach
    void stop() {
        if (host != null) {
            host.close();
        }
    }

    @Test
    void servingReflectorsAreProtectedAndOnlyWhatWeAddedIsRemoved(ControlPlane cp) throws Exception {
        SimulatedNodes nodes = new SimulatedNodes(cp.adminClient());
        List<String> names = nodes.createMany("node", 0, 12, ZONES);
        Set<String> operatorAnnotated = names.stream().filter(n -> n.hashCode() % 2 == 0).collect(Collectors.toSet());
        for (String name : operatorAnnotated) {
            nodes.annotate(name, KARPENTER, "true");
        }
        assertThat(operatorAnnotated).isNotEmpty().hasSizeLessThan(names.size());
        Map<String, Object> section = new HashMap<>(Map.of("removalDelay", "1s"));
        createConfiguration(cp, section);
        host = newHost(cp, new RouteReflectorPlugin(), "it", Duration.ofSeconds(4));
        host.start();

        ClusterSnapshot converged = awaitTopology(cp, section, 3);
        assertProtection(converged, operatorAnnotated, true);

        String cordoned = reflectors(converged).get(0).name();
        nodes.cordon(cordoned, true);
        await("the cordoned route reflector replaced", () -> observed(cp).nodes().stream()
                .filter(n -> n.name().equals(cordoned)).noneMatch(n -> n.labels().containsKey(RR)));
        ClusterSnapshot replaced = awaitTopology(cp, section, 3);
        assertThat(reflectors(replaced)).extracting(NodeFacts::name).doesNotContain(cordoned);
        assertProtection(replaced, operatorAnnotated, true);

        section.put("protectFromScaleDown", false);
        editSection(cp, "{\"protectFromScaleDown\":false}");
        assertProtection(awaitTopology(cp, section, 3), operatorAnnotated, false);

        section.put("protectFromScaleDown", true);
        editSection(cp, "{\"protectFromScaleDown\":true}");
        assertProtection(awaitTopology(cp, section, 3), operatorAnnotated, true);
    }

    private static List<NodeFacts> reflectors(ClusterSnapshot snapshot) {
        return snapshot.nodes().stream().filter(n -> n.annotations().containsKey(Names.CLUSTER_ID_ANNOTATION))
                .sorted(java.util.Comparator.comparing(NodeFacts::name)).toList();
    }

    /**
     * Serving RRs (when {@code on}) have both annotations "true", and ours lists what we added: the
     * cluster-autoscaler one always, Karpenter's where the operator had not set it. Every other node,
     * and every node when off, has none of ours; the operator's Karpenter annotation is everywhere it was.
     */
    private static void assertProtection(ClusterSnapshot snapshot, Set<String> operatorAnnotated, boolean on) {
        Set<String> serving = reflectors(snapshot).stream().map(NodeFacts::name).collect(Collectors.toSet());
        assertThat(serving).hasSize(3);
        for (NodeFacts node : snapshot.nodes()) {
            Map<String, String> annotations = node.annotations();
            boolean operators = operatorAnnotated.contains(node.name());
            assertThat(annotations.get(KARPENTER)).as("%s: %s", node.name(), KARPENTER)
                    .isEqualTo(operators || on && serving.contains(node.name()) ? "true" : null);
            if (on && serving.contains(node.name())) {
                assertThat(annotations.get(CA)).as("%s: %s", node.name(), CA).isEqualTo("true");
                assertThat(annotations.get(OURS)).as("%s: %s", node.name(), OURS)
                        .isEqualTo(operators ? CA : CA + "," + KARPENTER);
            } else {
                assertThat(annotations).as("%s", node.name()).doesNotContainKeys(CA, OURS);
            }
        }
    }
}
