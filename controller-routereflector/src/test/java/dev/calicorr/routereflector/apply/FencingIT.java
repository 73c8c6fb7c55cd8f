package dev.calicorr.routereflector.apply;

import static dev.calicorr.routereflector.apply.LiveChecks.ZONES;
import static dev.calicorr.routereflector.apply.LiveChecks.await;
import static dev.calicorr.routereflector.apply.LiveChecks.awaitTopology;
import static dev.calicorr.routereflector.apply.LiveChecks.createConfiguration;
import static dev.calicorr.routereflector.apply.LiveChecks.newHost;
import static org.assertj.core.api.Assertions.assertThat;

import dev.calicorr.core.runtime.Host;
import dev.calicorr.routereflector.plan.Step;
import dev.calicorr.testsupport.AuditedWrite;
import dev.calicorr.testsupport.ControlPlane;
import dev.calicorr.testsupport.RealControlPlane;
import dev.calicorr.testsupport.SimulatedNodes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A leader whose Lease renewals fail writes nothing after its renew deadline. */
@RealControlPlane
class FencingIT {
    private static final Duration LEASE = Duration.ofSeconds(4);
    private static final Duration RENEW_DEADLINE = LEASE.multipliedBy(3).dividedBy(4); // as LiveChecks.newHost sets it
    /** A write asked for just before the deadline may be recorded just after it. */
    private static final Duration IN_FLIGHT = Duration.ofMillis(250);

    private final List<Host> hosts = new ArrayList<>();
    private ControlPlane plane;

    @AfterEach
    void stop() {
        hosts.forEach(Host::close);
        if (plane != null) {
            Admission.removeAll(plane);
        }
    }

    @Test
    void aLeaderWhoseRenewalsAreDeniedStopsWritingAtItsRenewDeadlineAndTheStandbyConverges(ControlPlane cp)
            throws Exception {
        plane = cp;
        int from = cp.controllerWrites().size(); // the audit log lives as long as the control plane
        new SimulatedNodes(cp.adminClient()).createMany("node", 0, 300, ZONES);
        Map<String, Object> section = Map.of("ratio", 0.02, "removalDelay", "1s");
        createConfiguration(cp, section);
        AtomicInteger steps = new AtomicInteger();
        RouteReflectorReconciler.StepHook slowPlan = step -> {
            // a plan that outlasts the renew deadline, as one of many thousand nodes does
            if (steps.incrementAndGet() == 20) {
                Admission.denyLeaseRenewalsOf(cp, "first");
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        Host first = newHost(cp, new CapturingPlugin(new AtomicReference<>(), slowPlan), "first", LEASE);
        hosts.add(first);
        first.start();
        await("the first host leads", first::isLeader);
        Host second = newHost(cp, new dev.calicorr.routereflector.RouteReflectorPlugin(), "second", LEASE);
        hosts.add(second);
        second.start();

        await("the first host's renewals denied", () -> leaseUpdates(cp, from).stream().anyMatch(w -> w.code() >= 400));
        await("the second host leads", second::isLeader);
        awaitTopology(cp, section, 6);

        List<AuditedWrite> leases = leaseUpdates(cp, from);
        int firstDenied = indexOf(leases, w -> w.code() >= 400);
        Instant lastRenew = leases.subList(0, firstDenied).stream().filter(w -> w.code() < 300)
                .reduce((a, b) -> b).orElseThrow().at();
        Instant taken = leases.subList(firstDenied, leases.size()).stream().filter(w -> w.code() < 300)
                .findFirst().orElseThrow().at(); // the second host's: the first one's are denied
        Instant deadline = lastRenew.plus(RENEW_DEADLINE).plus(IN_FLIGHT);
        assertThat(taken).as("the Lease taken over after the old leader's renew deadline").isAfter(deadline);
        List<AuditedWrite> all = cp.controllerWrites();
        assertThat(all.subList(from, all.size())).as("node and BGPPeer writes after the old leader's renew deadline, "
                + "before the new leader took the Lease")
                .filteredOn(w -> Set.of("nodes", "bgppeers").contains(w.resource()) && !w.dryRun()
                        && w.at().isAfter(deadline) && w.at().isBefore(taken))
                .isEmpty();
        assertThat(steps.get()).as("steps the first host began").isGreaterThan(20);
    }

    private static List<AuditedWrite> leaseUpdates(ControlPlane cp, int from) {
        List<AuditedWrite> all = cp.controllerWrites();
        return all.subList(from, all.size()).stream().filter(w -> "leases".equals(w.resource()) && "update".equals(w.verb()))
                .toList();
    }

    private static int indexOf(List<AuditedWrite> writes, java.util.function.Predicate<AuditedWrite> which) {
        for (int i = 0; i < writes.size(); i++) {
            if (which.test(writes.get(i))) {
                return i;
            }
        }
        throw new AssertionError("no such write in " + writes);
    }
}
