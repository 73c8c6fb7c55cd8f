package dev.calicorr.routereflector.apply;

import static dev.calicorr.routereflector.apply.LiveChecks.ZONES;
import static dev.calicorr.routereflector.apply.LiveChecks.awaitTopology;
import static dev.calicorr.routereflector.apply.LiveChecks.config;
import static dev.calicorr.routereflector.apply.LiveChecks.counter;
import static dev.calicorr.routereflector.apply.LiveChecks.createConfiguration;
import static dev.calicorr.routereflector.apply.LiveChecks.newHost;
import static dev.calicorr.routereflector.apply.LiveChecks.observed;
import static dev.calicorr.routereflector.apply.LiveChecks.reconciles;
import static dev.calicorr.routereflector.apply.LiveChecks.reflectorNames;
import static org.assertj.core.api.Assertions.assertThat;

import dev.calicorr.core.runtime.Host;
import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.plan.Planner;
import dev.calicorr.routereflector.plan.Step;
import dev.calicorr.testsupport.ControlPlane;
import dev.calicorr.testsupport.RealControlPlane;
import dev.calicorr.testsupport.SimulatedNodes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * maxStepsPerReconcile on the real control plane: a plan larger than the cap is written in batches,
 * one per reconcile, each planned afresh from what is observed, and no break step runs while make
 * steps of the cluster's plan are still to be written.
 */
@RealControlPlane
class StepCapIT {
    private static final int NODES = 150;
    private static final int CAP = 20;

    private Host host;

    @AfterEach
    void stop() {
        if (host != null) {
            host.close();
        }
    }

    @Test
    void aPlanAboveTheCapIsWrittenInBatchesAndNothingIsTakenAwayBeforeItsReplacementIsMade(ControlPlane cp) throws Exception {
        Map<String, Object> section = Map.of("maxStepsPerReconcile", CAP, "removalDelay", "1s");
        new SimulatedNodes(cp.adminClient()).createMany("node", 0, NODES, ZONES);
        createConfiguration(cp, section);
        int firstPlan = Planner.plan(observed(cp), config(section), Instant.now()).steps().size();
        assertThat(firstPlan).as("the first plan's steps").isGreaterThan(3 * CAP);

        // the steps each reconcile executes (keyed by the reconciles finished before it), and each
        // step that takes a route reflector or a peer away while the cluster's plan still makes one
        Map<Long, Integer> stepsPerReconcile = Collections.synchronizedMap(new TreeMap<>());
        List<String> earlyBreaks = Collections.synchronizedList(new ArrayList<>());
        RouteReflectorConfig config = config(section);
        RouteReflectorReconciler.StepHook hook = step -> {
            stepsPerReconcile.merge(reconciles(host), 1, Integer::sum);
            boolean takesAway = step instanceof Step.DeletePeer
                    || step instanceof Step.PatchNode patch && patch.reason().startsWith("demote");
            if (takesAway) {
                List<Step> making = Planner.plan(observed(cp), config, Instant.now()).makeSteps().stream()
                        .filter(StepCapIT::makesReflectorOrPeer).toList();
                if (!making.isEmpty()) {
                    earlyBreaks.add(step + " while the plan still has " + making);
                }
            }
        };
        try (CapturedLog log = new CapturedLog()) {
            host = newHost(cp, new CapturingPlugin(new AtomicReference<>(), hook), "it", Duration.ofSeconds(4));
            host.start();
            awaitTopology(cp, section, 3);
            int firstBatches = stepsPerReconcile.size();
            double firstCapped = counter(host, "calico_rr_reconciles_capped_total");

            // a node pool goes: its route reflectors are replaced, their clients move, then they are demoted
            SimulatedNodes nodes = new SimulatedNodes(cp.adminClient());
            for (String rr : reflectorNames(observed(cp))) {
                nodes.cordon(rr, true);
            }
            awaitTopology(cp, section, 3);
            assertThat(stepsPerReconcile.values()).as("steps per reconcile").allMatch(n -> n <= CAP);
            assertThat(firstBatches).as("reconciles that wrote the first plan").isGreaterThanOrEqualTo(firstPlan / CAP);
            assertThat(firstCapped).as("reconciles capped while writing the first plan")
                    .isGreaterThanOrEqualTo(firstPlan / CAP - 1);
            assertThat(stepsPerReconcile.size() - firstBatches).as("reconciles that wrote the replacements")
                    .isGreaterThan(1);
            assertThat(earlyBreaks).as("demotions and deletions before the replacements were made").isEmpty();
            assertThat(cp.controllerWrites().stream().filter(w -> !w.dryRun() && w.code() < 300
                    && ("nodes".equals(w.resource()) || "bgppeers".equals(w.resource()))).count())
                    .as("node and BGPPeer writes in the audit log").isGreaterThanOrEqualTo(firstPlan);
            assertThat(log.lines()).filteredOn(line -> line.contains("(maxStepsPerReconcile)"))
                    .hasSizeGreaterThanOrEqualTo(firstPlan / CAP - 1)
                    .allMatch(line -> line.contains("executed " + CAP + " of its plan's"));
        }
    }

    /** A make step the break steps' safety rests on: a new route reflector's writes, a new peer. */
    private static boolean makesReflectorOrPeer(Step step) {
        return step instanceof Step.CreatePeer || step instanceof Step.PatchNode patch
                && (patch.reason().equals("promote") || patch.reason().equals("serve"));
    }
}
