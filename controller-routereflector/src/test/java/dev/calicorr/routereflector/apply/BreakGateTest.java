package dev.calicorr.routereflector.apply;

import static org.assertj.core.api.Assertions.assertThat;

import dev.calicorr.routereflector.apply.SessionChecks.Observation;
import dev.calicorr.routereflector.apply.SessionChecks.Peers;
import dev.calicorr.routereflector.apply.SessionChecks.State;
import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.model.ClusterSnapshot;
import dev.calicorr.routereflector.model.Names;
import dev.calicorr.routereflector.model.NodeFacts;
import dev.calicorr.routereflector.plan.Plan;
import dev.calicorr.routereflector.plan.Planner;
import dev.calicorr.routereflector.sim.Bgp;
import dev.calicorr.routereflector.sim.ClusterModel;
import dev.calicorr.routereflector.sim.Convergence;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The wait of a plan's break steps, which is pure: an RR is cordoned in a converged multi cluster, and
 * the plan that promotes its replacement narrows the group peers it was in (break steps). They wait
 * for the replacement's sessions as calico-node reports them, or for sessionSettleDelay where it does
 * not.
 */
class BreakGateTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    /** the last write (the make steps) */
    private static final Instant NOW = T0.plusSeconds(3600);
    /** the first moment a report calico-node writes shows BIRD after that write */
    private static final Instant FRESH = NOW.plus(BreakGate.REPORT_LAG);
    private static final RouteReflectorConfig CONFIG = RouteReflectorConfig.builder().ratio(0.1).build();

    private ClusterSnapshot snapshot;
    private Plan plan;
    private String replacement;
    /** the sessions once the make steps are written */
    private Bgp made;
    private Set<String> madeReflectors;

    @BeforeEach
    void cordonAReflector() {
        List<NodeFacts> nodes = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            NodeFacts plain = ClusterModel.node(String.format("node-%03d", i), List.of("a", "b", "c").get(i % 3), true,
                    T0.minusSeconds(3600 - i));
            Map<String, String> annotations = new HashMap<>(plain.annotations());
            annotations.put(Names.IPV4_ADDRESS_ANNOTATION, "198.18.0." + (i + 1) + "/24");
            nodes.add(new NodeFacts(plain.name(), plain.labels(), annotations, true, false, List.of(), plain.created()));
        }
        ClusterModel model = new ClusterModel(nodes);
        Convergence.converge(model, CONFIG, T0, 3);
        Set<String> before = reflectors(model);
        String cordoned = new TreeSet<>(before).first();
        model.put(ClusterModel.with(model.node(cordoned), true, true, List.of()));
        snapshot = model.snapshot();
        plan = Planner.plan(snapshot, CONFIG, NOW);
        assertThat(plan.makeSteps()).isNotEmpty();
        assertThat(plan.breakSteps()).isNotEmpty();
        ClusterModel after = new ClusterModel(snapshot);
        plan.makeSteps().forEach(after::apply);
        replacement = reflectors(after).stream().filter(n -> !before.contains(n)).findFirst().orElseThrow();
        made = new Bgp(after.nodes(), after.peers(), false, Set.of());
        madeReflectors = reflectors(after);
    }

    private static Set<String> reflectors(ClusterModel model) {
        Set<String> names = new TreeSet<>();
        model.nodes().stream().filter(n -> n.labels().containsKey(RouteReflectorConfig.DEFAULT_RR_LABEL_KEY))
                .forEach(n -> names.add(n.name()));
        return names;
    }

    /**
     * Every RR of the made state reports every session Established, except these RRs' sessions with
     * these nodes, in reports first seen at {@link #FRESH}.
     */
    private Observation reported(Set<String> awaiting, String downRr, Set<String> downPeers, Set<String> stuck) {
        return reported(awaiting, downRr, downPeers, stuck, FRESH);
    }

    private Observation reported(Set<String> awaiting, String downRr, Set<String> downPeers, Set<String> stuck,
            Instant seen) {
        Map<String, Set<String>> up = new HashMap<>();
        Map<String, Instant> seenAt = new HashMap<>();
        Map<String, Set<String>> stuckWith = new HashMap<>();
        for (NodeFacts node : snapshot.nodes()) {
            String rr = node.name();
            if (!node.labels().containsKey(RouteReflectorConfig.DEFAULT_RR_LABEL_KEY) && !rr.equals(replacement)
                    || awaiting.contains(rr)) {
                continue;
            }
            Set<String> established = new HashSet<>(made.sessionsOf(rr));
            if (rr.equals(downRr)) {
                established.removeAll(downPeers);
                stuckWith.put(rr, stuck);
            }
            up.put(rr, established);
            seenAt.put(rr, seen);
        }
        return new Observation(State.ACTIVE, Map.of(), Set.of(), Optional.empty(),
                new Peers(up, stuckWith, awaiting, seenAt));
    }

    @Test
    void whereCalicoNodeReportsTheBreakStepsWaitForTheReplacementsSessions() {
        Optional<BreakGate.Hold> first = BreakGate.check(snapshot, plan, reported(Set.of(replacement), null, Set.of(),
                Set.of()), CONFIG, NOW, FRESH);
        assertThat(first).hasValueSatisfying(hold -> {
            assertThat(hold.node()).isEqualTo(replacement);
            assertThat(hold.message()).startsWith("waiting for ").contains(" BGP sessions of " + replacement)
                    .contains(" before narrowing BGPPeer ");
            assertThat(hold.recheckAfter()).isEqualTo(BreakGate.RECHECK);
        });

        // promoted by this very plan, so not yet known to the checks at all: waited for as well, not settled by time
        Observation unknown = reported(Set.of(), null, Set.of(), Set.of());
        Map<String, Set<String>> withoutIt = new HashMap<>(unknown.peers().establishedWith());
        withoutIt.remove(replacement);
        Observation beforeItsStatus = new Observation(State.ACTIVE, Map.of(), Set.of(), Optional.empty(),
                new Peers(withoutIt, Map.of(), Set.of(), unknown.peers().reportSeen()));
        assertThat(BreakGate.check(snapshot, plan, beforeItsStatus, CONFIG, NOW, NOW.plus(CONFIG.sessionSettleDelay())))
                .hasValueSatisfying(hold -> assertThat(hold.message()).contains(replacement)
                        .doesNotContain("sessionSettleDelay"));

        // reported, but two of its sessions still coming up: they are waited for
        List<String> clients = new TreeSet<>(made.sessionsOf(replacement)).stream()
                .filter(n -> !madeReflectors.contains(n)).toList();
        Set<String> twoDown = Set.of(clients.get(0), clients.get(1));
        assertThat(BreakGate.check(snapshot, plan, reported(Set.of(), replacement, twoDown, Set.of()), CONFIG, NOW, FRESH))
                .hasValueSatisfying(hold -> assertThat(hold.message())
                        .startsWith("waiting for 2 BGP sessions of " + replacement + " before "));

        // all up: the break steps run
        assertThat(BreakGate.check(snapshot, plan, reported(Set.of(), null, Set.of(), Set.of()), CONFIG, NOW, FRESH))
                .isEmpty();
        // a session reported stuck does not hold them back while that client keeps another RR up
        assertThat(BreakGate.check(snapshot, plan, reported(Set.of(), replacement, Set.of(clients.get(0)),
                Set.of(clients.get(0))), CONFIG, NOW, FRESH)).isEmpty();
    }

    /**
     * calico-node writes a status only when BIRD's state changed, at most every 10 s: one written
     * before our write (or within the lag of confd and BIRD after it) may show a session Established
     * that the write restarts. It does not count; a newer one does, and so does the old one once
     * calico-node had a whole period after the lag to write a newer one and did not.
     */
    @Test
    void onlyAReportNewerThanTheLastWriteCounts() {
        Observation old = reported(Set.of(), null, Set.of(), Set.of(), NOW.minusSeconds(4));
        assertThat(BreakGate.check(snapshot, plan, old, CONFIG, NOW, FRESH)).hasValueSatisfying(hold -> {
            assertThat(hold.message()).startsWith("waiting for ").contains(" before narrowing BGPPeer ")
                    .contains("wrote before the last change does not count");
            assertThat(hold.recheckAfter()).isEqualTo(BreakGate.RECHECK);
        });
        Observation tooSoon = reported(Set.of(), null, Set.of(), Set.of(), FRESH.minusMillis(1));
        assertThat(BreakGate.check(snapshot, plan, tooSoon, CONFIG, NOW, FRESH)).isPresent();
        // the operator is told of the sessions still coming up (the replacement's), not of the old reports
        Observation oldAndAwaiting = reported(Set.of(replacement), null, Set.of(), Set.of(), NOW.minusSeconds(4));
        assertThat(BreakGate.check(snapshot, plan, oldAndAwaiting, CONFIG, NOW, FRESH))
                .hasValueSatisfying(hold -> assertThat(hold.node()).isEqualTo(replacement));

        // the old report stands once calico-node had its chance to write a newer one; the wait ends then
        Instant holds = NOW.plus(BreakGate.REPORT_HOLDS);
        assertThat(BreakGate.check(snapshot, plan, old, CONFIG, NOW, holds.minusSeconds(2)))
                .hasValueSatisfying(hold -> assertThat(hold.recheckAfter()).isEqualTo(Duration.ofSeconds(2)));
        assertThat(BreakGate.check(snapshot, plan, old, CONFIG, NOW, holds)).isEmpty();

        // a fresh report counts at once; one that shows two sessions down still holds the steps back
        assertThat(BreakGate.check(snapshot, plan, reported(Set.of(), null, Set.of(), Set.of(), FRESH), CONFIG, NOW,
                FRESH)).isEmpty();
        List<String> clients = new TreeSet<>(made.sessionsOf(replacement)).stream()
                .filter(n -> !madeReflectors.contains(n)).toList();
        assertThat(BreakGate.check(snapshot, plan, reported(Set.of(), replacement,
                Set.of(clients.get(0), clients.get(1)), Set.of(), FRESH), CONFIG, NOW, holds)).isPresent();
    }

    @Test
    void whereCalicoNodeDoesNotReportTheBreakStepsWaitSessionSettleDelayAfterTheLastWrite() {
        for (State state : List.of(State.ABSENT, State.SILENT)) {
            Observation none = Observation.without(state, Optional.empty());
            assertThat(BreakGate.check(snapshot, plan, none, CONFIG, NOW, NOW.plusSeconds(15)))
                    .hasValueSatisfying(hold -> {
                        assertThat(hold.message()).contains("sessionSettleDelay");
                        assertThat(hold.recheckAfter()).isEqualTo(BreakGate.RECHECK);
                    });
            assertThat(BreakGate.check(snapshot, plan, none, CONFIG, NOW, NOW.plusSeconds(42)))
                    .hasValueSatisfying(hold -> assertThat(hold.recheckAfter()).isEqualTo(Duration.ofSeconds(3)));
            assertThat(BreakGate.check(snapshot, plan, none, CONFIG, NOW, NOW.plus(CONFIG.sessionSettleDelay())))
                    .isEmpty();
        }
    }

    @Test
    void sessionsWithANodeWithoutABgpAddressSettleByTimeEvenWhereCalicoNodeReports() {
        // the replacement reports, but the clients have no address to find them by in its status
        List<NodeFacts> nodes = new ArrayList<>();
        for (NodeFacts node : snapshot.nodes()) {
            Map<String, String> annotations = new HashMap<>(node.annotations());
            if (!node.labels().containsKey(RouteReflectorConfig.DEFAULT_RR_LABEL_KEY) && !node.name().equals(replacement)) {
                annotations.remove(Names.IPV4_ADDRESS_ANNOTATION);
            }
            nodes.add(new NodeFacts(node.name(), node.labels(), annotations, node.ready(), node.unschedulable(),
                    node.taints(), node.created()));
        }
        ClusterSnapshot addressless = new ClusterSnapshot(nodes, snapshot.ownedPeers());
        Observation onlyRrs = reported(Set.of(), replacement, made.sessionsOf(replacement), Set.of());
        assertThat(BreakGate.check(addressless, plan, onlyRrs, CONFIG, NOW, NOW.plusSeconds(1)))
                .hasValueSatisfying(hold -> assertThat(hold.message()).contains("sessionSettleDelay"));
        assertThat(BreakGate.check(addressless, plan, onlyRrs, CONFIG, NOW, NOW.plus(CONFIG.sessionSettleDelay())))
                .isEmpty();
    }

    @Test
    void aPlanWithoutBreakStepsNeverWaits() {
        Plan makeOnly = new Plan(plan.makeSteps(), plan.makeSteps().size(), plan.decisions(), plan.summary(),
                plan.warnings(), plan.desiredPeers(), plan.recheckAfter());
        assertThat(BreakGate.check(snapshot, makeOnly, Observation.without(State.ABSENT, Optional.empty()), CONFIG,
                NOW, NOW)).isEmpty();
    }
}
