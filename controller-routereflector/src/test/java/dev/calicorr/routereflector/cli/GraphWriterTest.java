package dev.calicorr.routereflector.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.config.TopologyType;
import dev.calicorr.routereflector.model.ClusterSnapshot;
import dev.calicorr.routereflector.plan.Plan;
import dev.calicorr.routereflector.plan.Planner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pictures of {@code plan -o dot} and {@code -o mermaid}: zones, RRs, client groups and every session of the report. */
class GraphWriterTest {
    private static final Pattern DOT_NODE = Pattern.compile("^ {4}(rr\\d+|g\\d+) \\[.*label=\"([^\"]*)\"\\];$");
    private static final Pattern DOT_EDGE = Pattern.compile("^ {2}(?<from>rr\\d+|g\\d+) -- (?<to>rr\\d+)( \\[.*\\])?;$");
    private static final Pattern MERMAID_EDGE = Pattern.compile("^ {2}(?<from>rr\\d+|g\\d+) (===|---) (?<to>rr\\d+)$");

    @TempDir
    Path dir;

    static PlanReport report(String spec, RouteReflectorConfig config) {
        ClusterSnapshot observed = new ClusterSnapshot(SyntheticCluster.nodes(SyntheticCluster.Spec.parse(spec),
                RouteReflectorConfig.DEFAULT_ZONE_LABEL, config.rackLabel()), List.of());
        Plan plan = Planner.plan(observed, config, SyntheticCluster.NOW);
        return PlanReport.of("synthetic " + spec, new PlanReport.Config("test", config.topologyType().configName(),
                Map.of()), config, observed, plan, List.of(), false);
    }

    /** Per zone block of the dot text: the ids of the nodes declared in it. */
    private static Map<String, List<String>> dotZones(String dot) {
        Map<String, List<String>> zones = new java.util.LinkedHashMap<>();
        String zone = null;
        for (String line : dot.lines().toList()) {
            if (line.startsWith("    label=")) {
                zone = line.substring("    label=\"".length(), line.indexOf(" ("));
                zones.put(zone, new ArrayList<>());
            } else if (line.equals("  }")) {
                zone = null;
            } else {
                Matcher node = DOT_NODE.matcher(line);
                if (node.matches()) {
                    assertThat(zone).as("node %s outside a zone", node.group(1)).isNotNull();
                    zones.get(zone).add(node.group(1));
                }
            }
        }
        return zones;
    }

    private static Set<List<String>> edges(String text, Pattern pattern) {
        Set<List<String>> edges = new HashSet<>();
        text.lines().map(pattern::matcher).filter(Matcher::matches)
                .forEach(m -> assertThat(edges.add(List.of(m.group("from"), m.group("to"))))
                        .as("one line per session").isTrue());
        return edges;
    }

    /** The sessions of the report, in the picture's ids (rr1.. in report order, g1.. in group order). */
    private static Set<List<String>> sessions(PlanReport report) {
        Map<String, String> ids = new java.util.HashMap<>();
        report.reflectors().forEach(rr -> ids.put(rr.name(), "rr" + (ids.size() + 1)));
        Set<List<String>> sessions = new HashSet<>();
        report.peerings().reflectorSessions().forEach(l -> sessions.add(List.of(ids.get(l.from()), ids.get(l.to()))));
        List<PlanReport.ClientGroup> groups = report.peerings().clientGroups();
        for (int i = 0; i < groups.size(); i++) {
            for (String rr : groups.get(i).reflectors()) {
                sessions.add(List.of("g" + (i + 1), ids.get(rr)));
            }
        }
        return sessions;
    }

    @Test
    void dotHasAZoneBoxWithItsReflectorsAndClientGroupsAndALinePerSession() {
        PlanReport report = report("nodes=60,zones=3", RouteReflectorConfig.builder().ratio(0.1).build());
        String dot = GraphWriter.dot(report);

        assertThat(dot).startsWith("graph plan {").endsWith("}" + System.lineSeparator());
        Map<String, List<String>> zones = dotZones(dot);
        assertThat(zones.keySet()).containsExactly("zone-a", "zone-b", "zone-c");
        for (int i = 0; i < report.reflectors().size(); i++) {
            PlanReport.Reflector rr = report.reflectors().get(i);
            assertThat(zones.get(rr.zone())).as(rr.name()).contains("rr" + (i + 1));
            assertThat(dot).contains("label=\"" + rr.name() + "\\n" + rr.clusterId() + "\"");
        }
        List<PlanReport.ClientGroup> groups = report.peerings().clientGroups();
        for (int i = 0; i < groups.size(); i++) {
            assertThat(zones.get(groups.get(i).zone())).contains("g" + (i + 1));
        }
        // multi, 6 RRs with 3 each per client: the RR mesh and 3 lines from every group
        assertThat(report.peerings().reflectorSessions()).hasSize(6 * 5 / 2);
        assertThat(groups).allMatch(g -> g.reflectors().size() == 3);
        assertThat(edges(dot, DOT_EDGE)).isEqualTo(sessions(report)).hasSize(15 + 3 * groups.size());
        assertThat(GraphWriter.dot(report)).isEqualTo(dot);
    }

    @Test
    void mermaidShowsTheSameZonesNodesAndSessions() {
        PlanReport report = report("nodes=60,zones=3", RouteReflectorConfig.builder().ratio(0.1).build());
        String mermaid = GraphWriter.mermaid(report);

        assertThat(mermaid).startsWith("---" + System.lineSeparator() + "title: \"synthetic nodes=60,zones=3: multi "
                + "topology, 6 route reflector(s), 54 client(s), " + report.sessions().total() + " BGP sessions\"");
        assertThat(mermaid.lines().filter(l -> l.startsWith("  subgraph zone"))).hasSize(3);
        assertThat(mermaid.lines().filter(l -> l.equals("  end"))).hasSize(3);
        assertThat(mermaid).contains("  subgraph zone1[\"zone-a (21 nodes)\"]");
        PlanReport.Reflector first = report.reflectors().get(0);
        assertThat(mermaid).contains("    rr1((\"" + first.name() + "<br/>" + first.clusterId() + "\"))");
        assertThat(edges(mermaid, MERMAID_EDGE)).isEqualTo(sessions(report));
        assertThat(mermaid.lines().filter(l -> l.contains(" === "))).hasSize(15);
    }

    @Test
    void quorumsShareAColourAndRacksNameTheirClientGroups() {
        PlanReport quorum = report("nodes=60,zones=3",
                RouteReflectorConfig.builder().ratio(0.1).topologyType(TopologyType.QUORUM).build());
        Map<String, Set<String>> fillsByClusterId = new java.util.HashMap<>();
        for (PlanReport.Reflector rr : quorum.reflectors()) {
            String line = GraphWriter.dot(quorum).lines().filter(l -> l.contains("label=\"" + rr.name() + "\\n"))
                    .findFirst().orElseThrow();
            fillsByClusterId.computeIfAbsent(rr.clusterId(), id -> new HashSet<>())
                    .add(line.replaceAll(".*fillcolor=\"([^\"]*)\".*", "$1"));
        }
        assertThat(fillsByClusterId).hasSizeGreaterThan(1).allSatisfy((id, fills) -> assertThat(fills).hasSize(1));
        assertThat(fillsByClusterId.values().stream().flatMap(Set::stream).collect(Collectors.toSet()))
                .hasSameSizeAs(fillsByClusterId.keySet());

        PlanReport racks = report("nodes=60,zones=3,racks=2",
                RouteReflectorConfig.builder().ratio(0.1).topologyType(TopologyType.HIERARCHY).build());
        assertThat(racks.peerings().clientGroups()).isNotEmpty()
                .allSatisfy(g -> assertThat(g.rack()).startsWith(g.zone() + "-rack-"));
        assertThat(GraphWriter.dot(racks)).contains("clients\\n" + racks.peerings().clientGroups().get(0).rack() + "\"");
        assertThat(edges(GraphWriter.dot(racks), DOT_EDGE)).isEqualTo(sessions(racks));
    }

    @Test
    void graphvizRendersTheDotText() throws Exception {
        assumeTrue(onPath("dot"), "Graphviz (dot) is not installed");
        Path source = dir.resolve("plan.dot");
        Files.writeString(source, GraphWriter.dot(report("nodes=60,zones=3,racks=2",
                RouteReflectorConfig.builder().ratio(0.1).topologyType(TopologyType.HIERARCHY).build())));
        Process dot = new ProcessBuilder("dot", "-Tsvg", source.toString()).redirectErrorStream(true).start();
        String svg = new String(dot.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(dot.waitFor()).as(svg).isZero();
        assertThat(svg).contains("<svg").doesNotContain("Warning").doesNotContain("Error");
    }

    private static boolean onPath(String command) throws IOException {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }
}
