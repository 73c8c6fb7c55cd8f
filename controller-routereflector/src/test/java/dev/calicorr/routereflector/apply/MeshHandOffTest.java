package dev.calicorr.routereflector.apply;

import static org.assertj.core.api.Assertions.assertThat;

import dev.calicorr.routereflector.apply.MeshHandOff.Action;
import dev.calicorr.routereflector.apply.MeshHandOff.Decision;
import dev.calicorr.routereflector.apply.SessionChecks.Observation;
import dev.calicorr.routereflector.apply.SessionChecks.State;
import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.kube.BgpConfiguration;
import dev.calicorr.routereflector.model.ClusterSnapshot;
import dev.calicorr.routereflector.model.Names;
import dev.calicorr.routereflector.model.NodeFacts;
import dev.calicorr.routereflector.model.SessionFacts;
import dev.calicorr.routereflector.plan.Plan;
import dev.calicorr.routereflector.plan.Planner;
import dev.calicorr.routereflector.sim.ClusterModel;
import dev.calicorr.routereflector.sim.Convergence;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The mesh hand-off's decision, which is pure: when the mesh goes off, when it comes back, and when it is left alone. */
class MeshHandOffTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final Instant LATER = T0.plusSeconds(3600);
    private static final RouteReflectorConfig MANAGED = RouteReflectorConfig.builder().ratio(0.1)
            .removalDelay(Duration.ofSeconds(60)).manageNodeToNodeMesh(true).build();

    /** 30 nodes with BGP addresses, converged at T0 to 3 route reflectors. */
    private static ClusterModel converged() {
        List<NodeFacts> nodes = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            NodeFacts plain = ClusterModel.node(String.format("node-%03d", i), List.of("a", "b", "c").get(i % 3), true,
                    T0.minusSeconds(3600 - i));
            Map<String, String> annotations = new HashMap<>(plain.annotations());
            annotations.put(Names.IPV4_ADDRESS_ANNOTATION, "10.0.0." + (i + 1) + "/24");
            nodes.add(new NodeFacts(plain.name(), plain.labels(), annotations, true, false, List.of(), plain.created()));
        }
        ClusterModel model = new ClusterModel(nodes);
        Convergence.converge(model, MANAGED, T0, 3);
        return model;
    }

    private static Set<String> reflectors(ClusterModel model) {
        return model.nodes().stream().filter(n -> n.labels().containsKey(RouteReflectorConfig.DEFAULT_RR_LABEL_KEY))
                .map(NodeFacts::name).collect(Collectors.toSet());
    }

    private static Set<String> clients(ClusterModel model) {
        Set<String> clients = model.nodes().stream().map(NodeFacts::name).collect(Collectors.toCollection(HashSet::new));
        clients.removeAll(reflectors(model));
        return clients;
    }

    /** Calico-node reports: every RR with these facts, these clients served. */
    private static Observation active(ClusterModel model, SessionFacts facts, Set<String> served) {
        Map<String, SessionFacts> perRr = new HashMap<>();
        reflectors(model).forEach(rr -> perRr.put(rr, facts));
        return new Observation(State.ACTIVE, perRr, served, Optional.empty());
    }

    private static final SessionFacts UP = new SessionFacts(12, 0, 0, true);

    private static Decision decide(BgpConfiguration current, RouteReflectorConfig config, ClusterModel model,
            Observation sessions, Instant now) {
        ClusterSnapshot snapshot = model.snapshot();
        Plan plan = Planner.plan(snapshot, config, now);
        return MeshHandOff.decide(current, config, false, plan, snapshot, sessions, Instant.EPOCH, now);
    }

    private static BgpConfiguration configuration(Boolean mesh, String before) {
        V1ObjectMeta meta = new V1ObjectMeta().name("default").resourceVersion("7");
        if (before != null) {
            meta.annotations(Map.of(Names.MESH_BEFORE_ANNOTATION, before));
        }
        return new BgpConfiguration(meta, new BgpConfiguration.Spec(mesh));
    }

    @Test
    void offOnceTheTopologyHasServedForRemovalDelayAndEveryClientHasAnEstablishedSession() {
        ClusterModel model = converged();
        Observation up = active(model, UP, clients(model));
        assertThat(decide(null, MANAGED, model, up, LATER).action()).isEqualTo(Action.TURN_OFF);
        assertThat(decide(configuration(true, null), MANAGED, model, up, LATER).action()).isEqualTo(Action.TURN_OFF);

        Decision early = decide(null, MANAGED, model, up, T0.plusSeconds(20));
        assertThat(early.action()).isEqualTo(Action.NONE);
        assertThat(early.recheckAfter()).contains(Duration.ofSeconds(40));
    }

    @Test
    void theMeshStaysOnWhileSessionsAreComingUpOrAClientHasNone() {
        ClusterModel model = converged();
        Decision comingUp = decide(null, MANAGED, model, active(model, new SessionFacts(10, 2, 2, false),
                clients(model)), LATER);
        assertThat(comingUp.action()).isEqualTo(Action.NONE);
        assertThat(comingUp.reason()).contains("(10 Established, 2 coming up)");

        Set<String> served = new HashSet<>(clients(model));
        String cutOff = served.stream().sorted().findFirst().orElseThrow();
        served.remove(cutOff);
        Decision unserved = decide(null, MANAGED, model, active(model, UP, served), LATER);
        assertThat(unserved.action()).isEqualTo(Action.NONE);
        assertThat(unserved.reason()).contains("1 client node(s)").contains(cutOff);

        // one session stuck for sessionStuckAfter (reported) does not hold the mesh back if the client has another
        assertThat(decide(null, MANAGED, model, active(model, new SessionFacts(11, 1, 0, true), clients(model)), LATER)
                .action()).isEqualTo(Action.TURN_OFF);

        Decision noStatus = decide(null, MANAGED, model, new Observation(State.ACTIVE, Map.of(), Set.of(),
                Optional.empty()), LATER);
        assertThat(noStatus.reason()).contains("(no BGP status yet)");

        Decision waiting = decide(null, MANAGED, model, Observation.without(State.WAITING,
                Optional.of(Duration.ofSeconds(90))), LATER);
        assertThat(waiting.action()).isEqualTo(Action.NONE);
        assertThat(waiting.recheckAfter()).contains(Duration.ofSeconds(90));
    }

    @Test
    void withoutSessionFactsTheTopologyAndRemovalDelayAreEnough() {
        ClusterModel model = converged();
        assertThat(decide(null, MANAGED, model, Observation.without(State.ABSENT, Optional.empty()), LATER).action())
                .isEqualTo(Action.TURN_OFF);
        assertThat(decide(null, MANAGED, model, Observation.without(State.SILENT, Optional.empty()), LATER).reason())
                .contains("calico-node does not report");
    }

    @Test
    void withoutSessionFactsTheMeshStaysOnUntilSessionSettleDelayHasPassedSinceTheLastWrite() {
        ClusterModel model = converged();
        ClusterSnapshot snapshot = model.snapshot();
        Plan plan = Planner.plan(snapshot, MANAGED, LATER);
        Instant settled = LATER.plus(Duration.ofSeconds(20));
        Instant lastWrite = settled.minus(MANAGED.sessionSettleDelay());
        for (State state : List.of(State.ABSENT, State.SILENT)) {
            Decision early = MeshHandOff.decide(null, MANAGED, false, plan, snapshot,
                    Observation.without(state, Optional.empty()), lastWrite, LATER);
            assertThat(early.action()).isEqualTo(Action.NONE);
            assertThat(early.reason()).contains("sessionSettleDelay (45s)");
            assertThat(early.recheckAfter()).contains(Duration.ofSeconds(20));
            assertThat(MeshHandOff.decide(null, MANAGED, false, plan, snapshot,
                    Observation.without(state, Optional.empty()), lastWrite, settled).action()).isEqualTo(Action.TURN_OFF);
        }
        // where calico-node reports, the sessions decide, not the delay
        assertThat(MeshHandOff.decide(null, MANAGED, false, plan, snapshot, active(model, UP, clients(model)), lastWrite,
                LATER).action()).isEqualTo(Action.TURN_OFF);
    }

    @Test
    void aReportCalicoNodeWroteBeforeTheLastWriteDoesNotTurnTheMeshOff() {
        ClusterModel model = converged();
        ClusterSnapshot snapshot = model.snapshot();
        Plan plan = Planner.plan(snapshot, MANAGED, LATER);
        Instant lastWrite = LATER.minusSeconds(1);
        Map<String, Instant> seenBefore = new HashMap<>();
        Map<String, Instant> seenAfter = new HashMap<>();
        reflectors(model).forEach(rr -> {
            seenBefore.put(rr, lastWrite.minusSeconds(2));
            seenAfter.put(rr, lastWrite.plus(BreakGate.REPORT_LAG));
        });
        Decision stale = MeshHandOff.decide(null, MANAGED, false, plan, snapshot, reported(model, seenBefore), lastWrite,
                LATER);
        assertThat(stale.action()).isEqualTo(Action.NONE);
        assertThat(stale.reason()).contains("a CalicoNodeStatus written before it does not count");
        assertThat(stale.recheckAfter()).contains(Duration.between(LATER, lastWrite.plus(BreakGate.REPORT_HOLDS)));
        assertThat(MeshHandOff.decide(null, MANAGED, false, plan, snapshot, reported(model, seenAfter), lastWrite, LATER)
                .action()).isEqualTo(Action.TURN_OFF);
        // calico-node had a whole period to report since: its last report holds
        assertThat(MeshHandOff.decide(null, MANAGED, false, plan, snapshot, reported(model, seenBefore), lastWrite,
                lastWrite.plus(BreakGate.REPORT_HOLDS)).action()).isEqualTo(Action.TURN_OFF);
    }

    /** Every RR up, every client served, each RR's report first seen at the given time. */
    private static Observation reported(ClusterModel model, Map<String, Instant> seen) {
        Map<String, SessionFacts> perRr = new HashMap<>();
        reflectors(model).forEach(rr -> perRr.put(rr, UP));
        return new Observation(State.ACTIVE, perRr, clients(model), Optional.empty(),
                new SessionChecks.Peers(Map.of(), Map.of(), Set.of(), seen));
    }

    @Test
    void aPendingPlanKeepsTheMeshOn() {
        ClusterModel model = converged();
        String rr = reflectors(model).iterator().next();
        model.put(ClusterModel.with(model.node(rr), true, true, List.of())); // cordoned: a replacement is due
        Decision decision = decide(null, MANAGED, model, active(model, UP, clients(model)), LATER);
        assertThat(decision.action()).isEqualTo(Action.NONE);
        assertThat(decision.reason()).contains("until the route reflector topology is in place");
    }

    @Test
    void backOnOnlyWhereWeTurnedItOffAndOnlyWhenTheTopologyCannotBeKeptOrWeStopManagingIt() {
        ClusterModel model = converged();
        Observation up = active(model, UP, clients(model));
        BgpConfiguration ours = configuration(false, MeshHandOff.UNSET);
        BgpConfiguration theirs = configuration(false, null);
        assertThat(decide(ours, MANAGED, model, up, LATER).action()).isEqualTo(Action.NONE);

        // every node cordoned: no node is eligible
        ClusterModel cordoned = converged();
        new ArrayList<>(cordoned.nodes()).forEach(n -> cordoned.put(ClusterModel.with(n, true, true, List.of())));
        Decision restore = decide(ours, MANAGED, cordoned, up, LATER);
        assertThat(restore.action()).isEqualTo(Action.RESTORE);
        assertThat(restore.warning()).isTrue();
        assertThat(restore.reason()).contains("no node is eligible");
        assertThat(decide(theirs, MANAGED, cordoned, up, LATER).action()).isEqualTo(Action.NONE);

        // every route reflector NotReady
        ClusterModel down = converged();
        reflectors(down).forEach(rr -> down.put(ClusterModel.with(down.node(rr), false, false, List.of())));
        ClusterSnapshot snapshot = down.snapshot();
        Plan plan = Planner.plan(snapshot, MANAGED, LATER);
        Decision noReflector = MeshHandOff.decide(ours, MANAGED, false, plan, snapshot, up, Instant.EPOCH, LATER);
        assertThat(noReflector.action()).isEqualTo(Action.RESTORE);
        assertThat(noReflector.reason()).contains("no route reflector is Ready");

        RouteReflectorConfig unmanaged = MANAGED.toBuilder().manageNodeToNodeMesh(false).build();
        Decision switchedOff = decide(ours, unmanaged, model, up, LATER);
        assertThat(switchedOff.action()).isEqualTo(Action.RESTORE);
        assertThat(switchedOff.warning()).isFalse();
        assertThat(decide(theirs, unmanaged, model, up, LATER).action()).isEqualTo(Action.NONE);
        assertThat(decide(configuration(true, null), unmanaged, model, up, LATER).action()).isEqualTo(Action.NONE);

        Decision disabled = MeshHandOff.decide(ours, MANAGED, true, null, null, null, LATER, LATER);
        assertThat(disabled.action()).isEqualTo(Action.RESTORE);
        assertThat(disabled.reason()).contains("disabled");
        assertThat(MeshHandOff.decide(theirs, MANAGED, true, null, null, null, LATER, LATER).action()).isEqualTo(Action.NONE);
    }

    @Test
    void aMeshSomeoneElseTurnedOffIsNeverTurnedOn() {
        ClusterModel model = converged();
        Decision decision = decide(configuration(false, null), MANAGED, model, active(model, UP, clients(model)), LATER);
        assertThat(decision.action()).isEqualTo(Action.NONE);
        assertThat(decision.reason()).contains("turned off by someone else");
    }
}
