package dev.calicorr.routereflector.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.config.RouteReflectorConfigParser;
import dev.calicorr.routereflector.model.ClusterSnapshot;
import dev.calicorr.routereflector.model.Names;
import dev.calicorr.routereflector.model.NodeFacts;
import dev.calicorr.routereflector.model.PeerFacts;
import dev.calicorr.routereflector.plan.Plan;
import dev.calicorr.routereflector.plan.Planner;
import dev.calicorr.routereflector.plan.Step;
import dev.calicorr.routereflector.sim.ClusterModel;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;

class PlanReportTest {
    static final Instant NOW = SyntheticCluster.NOW;
    static final RouteReflectorConfig CONFIG = RouteReflectorConfig.builder().ratio(0.02).max(20).build();

    static PlanReport report(ClusterSnapshot observed, Plan plan, List<String> notes, boolean diff) {
        return PlanReport.of("test", new PlanReport.Config("test", "multi", RouteReflectorConfigParser.effective(CONFIG)),
                CONFIG, observed, plan, notes, diff);
    }

    static ClusterModel synthetic(String spec) {
        return new ClusterModel(SyntheticCluster.nodes(SyntheticCluster.Spec.parse(spec)));
    }

    @Test
    void theReportIsTheClusterThePlansStepsLeaveBehind() {
        ClusterSnapshot observed = synthetic("nodes=300,zones=3").snapshot();
        Plan plan = Planner.plan(observed, CONFIG, NOW);

        PlanReport report = report(observed, plan, List.of(), false);

        assertThat(report.nodes()).isEqualTo(new PlanReport.Nodes(300, 300, 300, 6, 294));
        assertThat(report.zones()).extracting(PlanReport.Zone::zone).containsExactly("zone-a", "zone-b", "zone-c");
        assertThat(report.zones()).allSatisfy(zone -> {
            assertThat(zone.desiredReflectors()).isEqualTo(plan.summary().desiredPerZone().get(zone.zone()));
            assertThat(zone.reflectors()).isEqualTo(zone.desiredReflectors());
            assertThat(zone.eligible()).isEqualTo(zone.nodes());
        });
        assertThat(report.zones().stream().mapToInt(PlanReport.Zone::nodes).sum()).isEqualTo(300);
        assertThat(report.reflectors()).hasSize(6).allMatch(rr -> rr.state().equals("serving"))
                .extracting(PlanReport.Reflector::clusterId)
                .containsExactly("224.0.0.1", "224.0.0.2", "224.0.0.3", "224.0.0.4", "224.0.0.5", "224.0.0.6");
        Map<String, Integer> served = new HashMap<>();
        report.reflectors().forEach(rr -> served.put(rr.name(), rr.clientSessions()));
        assertThat(served).isEqualTo(plan.summary().clientsPerReflector());
        assertThat(report.reflectors()).allMatch(rr -> rr.reflectorSessions() == 5
                && rr.sessions() == rr.clientSessions() + 5);
        assertThat(report.sessionsPerClient()).isEqualTo(new PlanReport.ClientSessions(3, 3.0, 3,
                List.of(new PlanReport.Count(3, 294))));
        assertThat(report.sessionsPerReflector().avg()).isEqualTo((294 * 3 + 6 * 5) / 6.0);
        assertThat(report.bgpPeers().count()).isEqualTo(plan.desiredPeers().size());
        assertThat(report.bgpPeers().items()).containsExactlyInAnyOrderElementsOf(plan.desiredPeers());
        assertThat(report.sessions()).isEqualTo(new PlanReport.Totals(300, 294 * 3 + 15, 300 * 299 / 2,
                300 * 299 / 2 - (294 * 3 + 15), 98.0));
        // from nothing: a patch per node (the RRs two), every peer created, every session new
        assertThat(report.changes()).isEqualTo(new PlanReport.Changes(plan.steps().size(), 300 + 6,
                plan.desiredPeers().size(), 294 * 3 + 15, null, null, null));
        assertThat(report.warnings()).isEmpty();
    }

    @Test
    void thePeeringsAreTheCountedSessionsRRsPairwiseAndClientsGroupedByTheirRRs() {
        ClusterSnapshot observed = synthetic("nodes=300,zones=3").snapshot();
        Plan plan = Planner.plan(observed, CONFIG, NOW);
        PlanReport report = report(observed, plan, List.of(), false);
        ClusterModel after = new ClusterModel(observed);
        plan.steps().forEach(after::apply);
        Sessions sessions = Sessions.of(after.nodes(), plan.desiredPeers());

        List<String> order = report.reflectors().stream().map(PlanReport.Reflector::name).toList();
        assertThat(report.peerings().reflectorSessions()).hasSize(15)
                .allMatch(l -> order.indexOf(l.from()) < order.indexOf(l.to())
                        && sessions.reflectorPeersOf(l.from()).contains(l.to()));
        List<PlanReport.ClientGroup> groups = report.peerings().clientGroups();
        assertThat(groups.stream().mapToInt(PlanReport.ClientGroup::clients).sum()).isEqualTo(294);
        assertThat(groups).extracting(g -> List.of(g.zone(), g.reflectors())).doesNotHaveDuplicates();
        for (NodeFacts client : after.nodes()) {
            if (order.contains(client.name())) {
                continue;
            }
            List<String> rrs = sessions.reflectorPeersOf(client.name());
            assertThat(groups).filteredOn(g -> g.zone().equals(Planner.zoneOf(client.labels(), CONFIG))
                    && g.reflectors().size() == rrs.size() && g.reflectors().containsAll(rrs)).hasSize(1);
        }
        assertThat(groups).allSatisfy(g -> assertThat(g.reflectors()).hasSize(3)
                .isSortedAccordingTo(java.util.Comparator.comparing(order::indexOf)));
    }

    @Test
    void withStepsTheDecisionsAndWritesAreListedAsTheControllerLogsThem() {
        ClusterSnapshot observed = synthetic("nodes=40,zones=2").snapshot();
        Plan plan = Planner.plan(observed, CONFIG, NOW);

        PlanReport.Changes changes = report(observed, plan, List.of(), true).changes();

        assertThat(changes.steps()).hasSize(plan.steps().size()).isEqualTo(plan.steps().stream().map(Step::toString).toList());
        assertThat(changes.steps().get(0)).startsWith("patch node ").endsWith(" reason=promote");
        assertThat(changes.decisions()).hasSize(3).allMatch(d -> d.contains(" promote ") && d.startsWith("zone=zone-"));
    }

    @Test
    void anObsoleteReflectorIsShownDrainingUntilItsReplacementHasServedAndAForeignOneAsForeign() {
        ClusterModel model = synthetic("nodes=100,zones=1");
        Planner.plan(model.snapshot(), CONFIG, NOW).steps().forEach(model::apply);
        NodeFacts rr = model.nodes().stream().filter(n -> n.labels().containsKey(CONFIG.routeReflectorLabelKey()))
                .findFirst().orElseThrow();
        model.put(ClusterModel.with(rr, true, true, List.of()));
        NodeFacts other = model.nodes().stream().filter(n -> !n.labels().containsKey(CONFIG.routeReflectorLabelKey()))
                .findFirst().orElseThrow();
        model.put(new NodeFacts(other.name(), Map.of(), Map.of(Names.CLUSTER_ID_ANNOTATION, "10.0.0.1"), true, false,
                List.of(), other.created()));
        ClusterSnapshot observed = model.snapshot();
        Plan plan = Planner.plan(observed, CONFIG, NOW.plusSeconds(3600));

        PlanReport report = report(observed, plan, List.of("a note"), false);

        assertThat(report.reflectors()).filteredOn(r -> r.name().equals(rr.name())).singleElement()
                .satisfies(r -> assertThat(r.state()).isEqualTo("draining"));
        assertThat(report.reflectors()).filteredOn(r -> r.name().equals(other.name())).singleElement()
                .satisfies(r -> assertThat(r.state()).isEqualTo("foreign"));
        assertThat(report.reflectors()).filteredOn(r -> r.state().equals("serving")).hasSize(3); // min 3
        // the load figures are the serving RRs': the draining one keeps only its RR sessions
        int drainingSessions = report.reflectors().stream().filter(r -> r.state().equals("draining")).findFirst()
                .orElseThrow().sessions();
        assertThat(drainingSessions).isEqualTo(3);
        assertThat(report.sessionsPerReflector().min()).isEqualTo(report.reflectors().stream()
                .filter(r -> r.state().equals("serving")).mapToInt(PlanReport.Reflector::sessions).min().orElseThrow())
                .isGreaterThan(drainingSessions);
        assertThat(report.zones()).extracting(PlanReport.Zone::zone, PlanReport.Zone::nodes, PlanReport.Zone::eligible,
                PlanReport.Zone::reflectors).containsExactly(
                        Tuple.tuple("", 1, 0, 0), // the foreign node lost its zone label
                        Tuple.tuple("zone-a", 99, 98, 3));
        assertThat(report.changes().recheckAfter()).isEqualTo("1m");
        assertThat(report.warnings()).contains("a note")
                .anyMatch(w -> w.contains(other.name() + " has a route reflector cluster ID but not our label"));
    }

    @Test
    void clientsTheBgpPeersLeaveWithoutAReflectorAreWarnedAbout() {
        ClusterSnapshot observed = synthetic("nodes=100,zones=2").snapshot();
        Plan plan = Planner.plan(observed, CONFIG, NOW);
        List<PeerFacts> meshOnly = plan.desiredPeers().stream().filter(p -> p.name().equals("rrc-mesh")).toList();
        Plan broken = new Plan(plan.steps(), plan.breakFrom(), plan.decisions(), plan.summary(), plan.warnings(), meshOnly,
                plan.recheckAfter());

        PlanReport report = report(observed, broken, List.of(), false);

        // min 3 route reflectors
        assertThat(report.sessionsPerClient().distribution()).containsExactly(new PlanReport.Count(0, 97));
        assertThat(report.warnings()).contains("97 Ready client(s) have no session with a route reflector: "
                + "with the node-to-node mesh off they would learn no route");
    }

    @Test
    void namesWithNumbersAreInNumericOrder() {
        List<String> names = new ArrayList<>(List.of("rrc-group-10", "rrc-mesh", "rrc-group-2", "rrc-group-1",
                "224.0.0.10", "224.0.0.9", "a-007", "a-7b"));
        names.sort(PlanReport.NATURAL);
        assertThat(names).containsExactly("224.0.0.9", "224.0.0.10", "a-007", "a-7b", "rrc-group-1", "rrc-group-2",
                "rrc-group-10", "rrc-mesh");
    }
}
