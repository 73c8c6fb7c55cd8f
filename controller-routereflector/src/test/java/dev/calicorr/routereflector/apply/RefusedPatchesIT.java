package dev.calicorr.routereflector.apply;

import static dev.calicorr.routereflector.apply.LiveChecks.RR;
import static dev.calicorr.routereflector.apply.LiveChecks.TIMEOUT;
import static dev.calicorr.routereflector.apply.LiveChecks.ZONES;
import static dev.calicorr.routereflector.apply.LiveChecks.await;
import static dev.calicorr.routereflector.apply.LiveChecks.awaitTopology;
import static dev.calicorr.routereflector.apply.LiveChecks.config;
import static dev.calicorr.routereflector.apply.LiveChecks.counter;
import static dev.calicorr.routereflector.apply.LiveChecks.createConfiguration;
import static dev.calicorr.routereflector.apply.LiveChecks.events;
import static dev.calicorr.routereflector.apply.LiveChecks.newHost;
import static dev.calicorr.routereflector.apply.LiveChecks.observed;
import static dev.calicorr.routereflector.apply.LiveChecks.reflectorNames;
import static org.assertj.core.api.Assertions.assertThat;

import dev.calicorr.core.runtime.Host;
import dev.calicorr.routereflector.model.ClusterSnapshot;
import dev.calicorr.routereflector.model.Names;
import dev.calicorr.routereflector.plan.Planner;
import dev.calicorr.routereflector.plan.Step;
import dev.calicorr.testsupport.ControlPlane;
import dev.calicorr.testsupport.RealControlPlane;
import dev.calicorr.testsupport.SimulatedNodes;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Nodes that refuse the controller's patches, or vanish under a promotion, do not hold the rest back. */
@RealControlPlane
class RefusedPatchesIT {
    private static final Map<String, Object> SECTION = Map.of("ratio", 0.1, "removalDelay", "1s");

    private Host host;
    private ControlPlane plane;

    @AfterEach
    void stop() {
        if (host != null) {
            host.close();
        }
        if (plane != null) {
            Admission.removeAll(plane);
        }
    }

    /** Waits until the only writes the planner still wants are patches of {@code nodes}. */
    private static ClusterSnapshot awaitAllBut(ControlPlane cp, Set<String> nodes) throws Exception {
        Instant deadline = Instant.now().plus(TIMEOUT);
        List<Step> pending = List.of();
        while (Instant.now().isBefore(deadline)) {
            ClusterSnapshot snapshot = observed(cp);
            pending = Planner.plan(snapshot, config(SECTION), Instant.now()).steps();
            if (pending.stream().allMatch(step -> step instanceof Step.PatchNode patch && nodes.contains(patch.node()))) {
                return snapshot;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("still pending beside " + nodes + ": " + pending);
    }

    @Test
    void aNodeThatRefusesIsLeftOutAndEveryOtherNodeConverges(ControlPlane cp) throws Exception {
        plane = cp;
        new SimulatedNodes(cp.adminClient()).createMany("node", 0, 30, ZONES);
        // node-000 is the oldest node of zone a (the planner's first choice there); node-010 a client
        Admission.refuseControllerPatchesOf(cp, "node-000", "node-010");
        createConfiguration(cp, SECTION);
        host = newHost(cp, new CapturingPlugin(new AtomicReference<>()), "it", Duration.ofSeconds(4));
        host.start();

        ClusterSnapshot converged = awaitAllBut(cp, Set.of("node-000", "node-010"));
        assertThat(reflectorNames(converged)).hasSize(3).doesNotContain("node-000", "node-010");
        assertThat(converged.nodes()).filteredOn(n -> !n.labels().containsKey(RR))
                .filteredOn(n -> !Set.of("node-000", "node-010").contains(n.name()))
                .allSatisfy(n -> assertThat(n.labels()).containsKey(Names.GROUP_LABEL));
        await("an Event on each refusing node", () -> events(cp).stream()
                .filter(e -> "NodePatchRefused".equals(e.getReason())).map(e -> e.getInvolvedObject().getName())
                .collect(java.util.stream.Collectors.toSet()).containsAll(Set.of("node-000", "node-010")));
        assertThat(counter(host, "calico_rr_reconcile_errors_total")).as("reconciles stopped").isZero();
    }

    @Test
    void aNodeDeletedUnderItsPromotionIsReplannedNotServed(ControlPlane cp) throws Exception {
        SimulatedNodes nodes = new SimulatedNodes(cp.adminClient());
        nodes.createMany("node", 0, 30, ZONES);
        AtomicReference<String> deleted = new AtomicReference<>();
        List<Step> afterDelete = new CopyOnWriteArrayList<>();
        RouteReflectorReconciler.StepHook hook = step -> {
            if (deleted.get() != null) {
                afterDelete.add(step);
            } else if (step instanceof Step.PatchNode patch && patch.reason().equals("promote")) {
                nodes.delete(patch.node()); // gone between the plan and its promotion
                deleted.set(patch.node());
            }
        };
        createConfiguration(cp, SECTION);
        host = newHost(cp, new CapturingPlugin(new AtomicReference<>(), hook), "it", Duration.ofSeconds(4));
        host.start();

        ClusterSnapshot converged = awaitTopology(cp, SECTION, 3);
        assertThat(reflectorNames(converged)).doesNotContain(deleted.get());
        assertThat(afterDelete).as("steps for the deleted node after its promotion")
                .noneMatch(step -> step instanceof Step.PatchNode patch && patch.node().equals(deleted.get()));
    }
}
