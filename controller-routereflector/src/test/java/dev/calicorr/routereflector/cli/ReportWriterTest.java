package dev.calicorr.routereflector.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.model.ClusterSnapshot;
import dev.calicorr.routereflector.plan.Plan;
import dev.calicorr.routereflector.plan.Planner;
import dev.calicorr.routereflector.sim.ClusterModel;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReportWriterTest {
    private static final String NL = System.lineSeparator();
    private static final RouteReflectorConfig CONFIG = RouteReflectorConfig.builder().ratio(0.5).max(4).build();

    /** 12 nodes in two zones, 4 route reflectors, multi. */
    static PlanReport small(boolean diff) {
        ClusterSnapshot observed = new ClusterSnapshot(
                SyntheticCluster.nodes(SyntheticCluster.Spec.parse("nodes=12,zones=2")), List.of());
        Plan plan = Planner.plan(observed, CONFIG, SyntheticCluster.NOW);
        return PlanReport.of("synthetic nodes=12,zones=2", new PlanReport.Config("defaults, --set ratio=0.5", "multi",
                Map.of("ratio", 0.5)), CONFIG, observed, plan, List.of(), diff);
    }

    @Test
    void theTableShowsZonesReflectorsSessionsPeersAndTotalsInColumns() {
        String table = ReportWriter.table(small(false));

        assertThat(table).startsWith("Plan: multi topology for synthetic nodes=12,zones=2" + NL
                + "Config: defaults, --set ratio=0.5" + NL + "  ratio=0.5" + NL + NL);
        assertThat(table).contains(String.join(NL,
                "Nodes: 12 (12 Ready, 12 eligible) -> 4 route reflector(s), 8 client(s)",
                "  ZONE    NODES  ELIGIBLE  RRS-DESIRED  RRS",
                "  zone-a      5         5            2    2",
                "  zone-b      7         7            2    2",
                "  total      12        12            4    4", ""));
        assertThat(table).contains(String.join(NL,
                "Route reflectors: 4",
                "  NAME                      ZONE    CLUSTER-ID  STATE    SESSIONS  CLIENTS  RRS",
                "  ip-10-0-0-3.ec2.internal  zone-a  224.0.0.1   serving         8        5    3", ""));
        assertThat(table).contains(String.join(NL,
                "Sessions per route reflector: min 8, avg 9.0, max 10",
                "Sessions per client: min 3, avg 3.0, max 3",
                "  SESSIONS  CLIENTS",
                "         3        8", ""));
        assertThat(table).contains("BGPPeers: 5" + NL + "  NAME         NODE-SELECTOR")
                .contains(NL + "  rrc-mesh     has(calico-route-reflector)           has(calico-route-reflector)" + NL);
        assertThat(table).contains(String.join(NL,
                "BGP sessions: 30 over 12 Ready nodes (the BGPPeers above, node-to-node mesh off)",
                "Full mesh:    66 = N(N-1)/2",
                "Avoided:      36 (54.55%)", "", "Warnings: none",
                "Changes: 21 write(s) from the current state (16 node, 5 BGPPeer; 30 BGP session change(s); --diff lists them)", ""));
    }

    @Test
    void yamlAndJsonCarryTheSameDataForTools() throws Exception {
        PlanReport report = small(false);
        JsonNode json = new ObjectMapper().readTree(ReportWriter.json(report));
        JsonNode yaml = new ObjectMapper(new YAMLFactory()).readTree(ReportWriter.yaml(report));

        assertThat(yaml).isEqualTo(json);
        assertThat(json.get("sessions").get("total").asLong()).isEqualTo(30);
        assertThat(json.get("sessions").get("avoidedPercent").asDouble()).isEqualTo(54.55);
        assertThat(json.get("reflectors")).hasSize(4);
        assertThat(json.get("reflectors").get(0).get("clusterId").asText()).isEqualTo("224.0.0.1");
        assertThat(json.get("sessionsPerClient").get("distribution").get(0).toString())
                .isEqualTo("{\"sessions\":3,\"clients\":8}");
        assertThat(json.get("bgpPeers").get("items").get(0).get("peerSelector").asText())
                .isEqualTo("calico-rr-controller/rr-index in {'1', '2', '3'}");
        assertThat(json.get("changes").toString()).isEqualTo("{\"writes\":21,\"nodeWrites\":16,\"peerWrites\":5,\"sessionChanges\":30}");
        assertThat(json.get("config").get("effective").get("ratio").asDouble()).isEqualTo(0.5);
    }

    @Test
    void theDiffListsDecisionsThenEveryWriteOnALineOrSaysThereIsNone() {
        PlanReport report = small(true);
        String diff = ReportWriter.diff(report);

        List<String> lines = diff.lines().toList();
        assertThat(lines.get(0)).isEqualTo("Decisions: 4");
        assertThat(lines.get(5)).isEqualTo("Changes: 21 write(s) (16 node, 5 BGPPeer; 30 BGP session change(s)), in the order the controller applies them");
        assertThat(lines.subList(6, 27)).isEqualTo(report.changes().steps().stream().map(s -> "  " + s).toList());
        assertThat(lines.get(27)).isEqualTo("Warnings: none");
        assertThat(ReportWriter.json(report)).contains("\"steps\" : [ \"patch node ");

        ClusterModel converged = new ClusterModel(SyntheticCluster.nodes(SyntheticCluster.Spec.parse("nodes=12,zones=2")));
        Planner.plan(converged.snapshot(), CONFIG, SyntheticCluster.NOW).steps().forEach(converged::apply);
        PlanReport none = PlanReport.of("x", new PlanReport.Config("x", "multi", Map.of()), CONFIG,
                converged.snapshot(), Planner.plan(converged.snapshot(), CONFIG, SyntheticCluster.NOW.plusSeconds(600)),
                List.of(), true);
        assertThat(ReportWriter.diff(none)).isEqualTo("No changes: the cluster already has the topology of this plan "
                + "(4 route reflector(s), 5 BGPPeer(s))." + NL + "Warnings: none" + NL);
    }

    @Test
    void tableColumnsArePaddedAndNumbersRightAligned() {
        StringBuilder out = new StringBuilder();
        ReportWriter.table(out, List.of("NAME", "N"), List.of(List.of("a", "7"), List.of("longer", "1234")), 1);

        assertThat(out.toString()).isEqualTo("  NAME       N" + NL + "  a          7" + NL + "  longer  1234" + NL);
    }
}
