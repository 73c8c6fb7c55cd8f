package dev.calicorr.routereflector.apply;

import static dev.calicorr.routereflector.apply.LiveChecks.RR;
import static dev.calicorr.routereflector.apply.LiveChecks.ZONES;
import static dev.calicorr.routereflector.apply.LiveChecks.awaitTopology;
import static dev.calicorr.routereflector.apply.LiveChecks.createConfiguration;
import static dev.calicorr.routereflector.apply.LiveChecks.newHost;
import static dev.calicorr.routereflector.apply.LiveChecks.observed;
import static dev.calicorr.routereflector.apply.LiveChecks.reflectorNames;
import static org.assertj.core.api.Assertions.assertThat;

import dev.calicorr.core.runtime.Host;
import dev.calicorr.routereflector.kube.NodeFactsReader;
import dev.calicorr.routereflector.model.NodeFacts;
import dev.calicorr.routereflector.plan.Step;
import dev.calicorr.testsupport.ControlPlane;
import dev.calicorr.testsupport.RealControlPlane;
import dev.calicorr.testsupport.SimulatedNodes;
import io.kubernetes.client.openapi.models.V1Node;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The drain of a node pool: its nodes, the route reflectors and their would-be successors among
 * them, are cordoned (and half of them go NotReady) one after another within a second. No node is
 * made a route reflector while it is cordoned or NotReady, none is promoted and demoted again
 * within the drain, and the cluster ends with its route reflectors outside the pool.
 */
@RealControlPlane
class MassCordonIT {
    private static final Map<String, Object> SECTION = Map.of("removalDelay", "1s");

    private Host host;

    @AfterEach
    void stop() {
        if (host != null) {
            host.close();
        }
    }

    @Test
    void aDrainedPoolsNodesAreNeitherPromotedWhileGoingNorFlipFlopped(ControlPlane cp) throws Exception {
        SimulatedNodes nodes = new SimulatedNodes(cp.adminClient());
        List<String> names = nodes.createMany("node", 0, 60, ZONES);
        createConfiguration(cp, SECTION);

        // each promotion and demotion the controller writes, and the promoted node as the apiserver has it then
        AtomicBoolean draining = new AtomicBoolean();
        List<String> promotedWhileIneligible = Collections.synchronizedList(new ArrayList<>());
        List<String> promotedDuringDrain = Collections.synchronizedList(new ArrayList<>());
        List<String> demoted = Collections.synchronizedList(new ArrayList<>());
        RouteReflectorReconciler.StepHook hook = step -> {
            if (!(step instanceof Step.PatchNode patch)) {
                return;
            }
            if (patch.reason().equals("promote")) {
                NodeFacts now = NodeFactsReader.read(nodes.get(patch.node()));
                if (!now.ready() || now.unschedulable()) {
                    promotedWhileIneligible.add(patch.node() + (now.ready() ? " (cordoned)" : " (NotReady)"));
                }
                if (draining.get()) {
                    promotedDuringDrain.add(patch.node());
                }
            } else if (patch.reason().startsWith("demote")) {
                demoted.add(patch.node());
            }
        };
        host = newHost(cp, new CapturingPlugin(new AtomicReference<>(), hook), "it", Duration.ofSeconds(4));
        host.start();
        Set<String> before = reflectorNames(awaitTopology(cp, SECTION, 3));

        // the pool: the oldest half of the nodes, so the route reflectors and the first in line to replace them
        List<String> pool = names.subList(0, 30);
        assertThat(pool).as("the pool holds the route reflectors").containsAll(before);
        draining.set(true);
        for (int i = 0; i < pool.size(); i++) {
            nodes.cordon(pool.get(i), true);
            if (i % 2 == 1) {
                nodes.setReady(pool.get(i), false); // a pool's nodes go away as they are drained
            }
        }
        var after = awaitTopology(cp, SECTION, 3);

        Set<String> reflectors = reflectorNames(after);
        assertThat(reflectors).as("the route reflectors after the drain").hasSize(3).doesNotContainAnyElementsOf(pool);
        assertThat(after.nodes()).filteredOn(n -> reflectors.contains(n.name()))
                .allMatch(n -> n.ready() && !n.unschedulable());
        assertThat(promotedWhileIneligible).as("nodes promoted while cordoned or NotReady").isEmpty();
        assertThat(promotedDuringDrain).as("nodes promoted in the drain and demoted again")
                .doesNotContainAnyElementsOf(Set.copyOf(demoted));
        assertThat(Set.copyOf(demoted)).as("the nodes demoted").isEqualTo(before);
        assertThat(after.nodes()).filteredOn(n -> n.labels().containsKey(RR)).extracting(NodeFacts::name)
                .containsExactlyInAnyOrderElementsOf(reflectors);
    }
}
