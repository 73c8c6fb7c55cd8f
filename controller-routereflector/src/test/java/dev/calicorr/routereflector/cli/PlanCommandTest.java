package dev.calicorr.routereflector.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.calicorr.core.Main;
import dev.calicorr.core.runtime.Host;
import picocli.CommandLine;
import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.model.Names;
import dev.calicorr.routereflector.model.NodeFacts;
import dev.calicorr.routereflector.model.PeerFacts;
import dev.calicorr.routereflector.plan.Planner;
import dev.calicorr.routereflector.sim.ClusterModel;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code plan} through the jar's entry point: the host's command line with the plugins the ServiceLoader finds. */
class PlanCommandTest {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final String NL = System.lineSeparator();

    @TempDir
    Path dir;

    record Run(int exit, String out, String err) {
    }

    static Run run(String... args) {
        CommandLine cli = Main.commandLine(Host.discoverPlugins());
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    private static String[] args(String... args) {
        return args;
    }

    @Test
    void theIssuesExampleRunsFromTheHostsCommandLine() {
        Run multi = run("plan", "--synthetic", "nodes=5000,zones=3", "--topology", "multi");

        assertThat(multi.exit()).isZero();
        assertThat(multi.err()).isEmpty();
        assertThat(multi.out()).startsWith("Plan: multi topology for synthetic nodes=5000,zones=3" + NL)
                .contains("Nodes: 5000 (5000 Ready, 5000 eligible) -> 10 route reflector(s), 4990 client(s)")
                .contains("Sessions per client: min 3, avg 3.0, max 3")
                .contains("BGPPeers: 11")
                .contains("BGP sessions: 15015 over 5000 Ready nodes")
                .contains("Full mesh:    12497500 = N(N-1)/2")
                .contains("Avoided:      12482485 (99.88%)");

        Run single = run("plan", "--synthetic", "nodes=5000,zones=3", "--topology", "single");
        assertThat(single.exit()).isZero();
        assertThat(single.out()).contains("Sessions per client: min 10, avg 10.0, max 10")
                .contains("Sessions per route reflector: min 4999, avg 4999.0, max 4999")
                .contains("BGPPeers: 2")
                .contains("BGP sessions: 49945 over 5000 Ready nodes");
    }

    @Test
    void theSameArgumentsGiveTheSameOutputAndJsonIsJsonAlone() throws Exception {
        String[] args = args("plan", "--synthetic", "nodes=2000,zones=3,racks=4", "-o", "json");
        Run first = run(args);

        assertThat(run(args)).isEqualTo(first);
        JsonNode json = new ObjectMapper().readTree(first.out());
        assertThat(json.get("source").asText()).isEqualTo("synthetic nodes=2000,zones=3,racks=4");
        assertThat(json.get("nodes").get("reflectors").asInt()).isEqualTo(10);
        assertThat(json.get("sessions").get("total").asLong()).isEqualTo(1990 * 3 + 45);
        assertThat(run("plan", "--synthetic", "nodes=2000,zones=3,racks=4,seed=9", "-o", "json").out())
                .isNotEqualTo(first.out());
        JsonNode yaml = YAML.readTree(run("plan", "--synthetic", "nodes=2000,zones=3,racks=4", "-o", "yaml").out());
        assertThat(yaml).isEqualTo(json);
    }

    @Test
    void configFileSetAndTopologyAreAppliedInThatOrder() throws Exception {
        Path config = dir.resolve("kcc.yaml");
        Files.writeString(config, """
                apiVersion: crd.projectcalico.org/v1
                kind: KubeControllersConfiguration
                metadata: {name: default}
                spec:
                  controllers:
                    routereflector: {ratio: 0.01, max: 30, topologyType: single}
                """);

        Run run = run("plan", "--synthetic", "nodes=1000,zones=2", "--config", config.toString(), "--set", "min=12",
                "--set", "topologyType=single", "--topology", "multi", "-o", "json");

        assertThat(run.exit()).isZero();
        JsonNode json = new ObjectMapper().readTree(run.out());
        assertThat(json.get("config").get("source").asText()).isEqualTo("--config " + config
                + ", --set min=12 --set topologyType=single, --topology multi");
        assertThat(json.get("config").get("topology").asText()).isEqualTo("multi");
        assertThat(json.get("config").get("effective").get("ratio").asDouble()).isEqualTo(0.01);
        assertThat(json.get("nodes").get("reflectors").asInt()).isEqualTo(12);
    }

    @Test
    void aBadConfigOrNodeFileIsOneLineOnStderrAndExitCode2() throws Exception {
        Path config = dir.resolve("bad.yaml");
        Files.writeString(config, "controllers:\n  routereflector:\n    min: 5\n    max: 3\n");
        Path nodes = dir.resolve("nodes.yaml");
        Files.writeString(nodes, "kind: List\nitems:\n- {kind: Pod, metadata: {name: web}}\n");

        assertThat(run("plan", "--synthetic", "nodes=10", "--config", config.toString())).isEqualTo(new Run(2, "",
                "plan: invalid configuration: spec.controllers.routereflector.min: min 5 is greater than max 3" + NL));
        assertThat(run("plan", "--synthetic", "nodes=10", "--set", "ratio=2")).isEqualTo(new Run(2, "",
                "plan: invalid configuration: spec.controllers.routereflector.ratio: must be between 0.001 and 1.0, "
                        + "got 2.0" + NL));
        assertThat(run("plan", "--nodes", nodes.toString())).isEqualTo(new Run(2, "", "plan: " + nodes
                + ", Pod web: kind Pod is neither a Node nor a BGPPeer (use kubectl get nodes,bgppeers -o yaml)" + NL));
        assertThat(run("plan", "--nodes", dir.resolve("missing.yaml").toString()).err())
                .startsWith("plan: --nodes: cannot read ").hasLineCount(1);
        assertThat(run("plan", "--synthetic", "nodes=10,zones=0")).isEqualTo(new Run(2, "",
                "plan: --synthetic nodes=10,zones=0: zones must be from 1 to 26, got 0" + NL));
        assertThat(run("plan", "--synthetic", "nodes=10", "--diff").err()).isEqualTo("plan: --diff compares with a "
                + "cluster's current state: use it with the live cluster or --nodes, not --synthetic" + NL);
        assertThat(run("plan", "--synthetic", "nodes=10", "--nodes", nodes.toString()).exit()).isEqualTo(2);
        assertThat(run("plan", "--kubeconfig", dir.resolve("none").toString()).err())
                .startsWith("plan: no usable Kubernetes client configuration").hasLineCount(1);
        // picocli's own usage errors keep its exit code for them, 2
        assertThat(run("plan", "--synthetic", "nodes=10", "-o", "xml").exit()).isEqualTo(2);
    }

    @Test
    void diffOfANodeFileExits1WithTheControllersStepsAnd0OnceTheyAreApplied() throws Exception {
        ClusterModel model = new ClusterModel(SyntheticCluster.nodes(SyntheticCluster.Spec.parse("nodes=60,zones=3")));
        Path before = kubectlYaml(model, "before.yaml");

        Run pending = run("plan", "--nodes", before.toString(), "--diff");

        var plan = Planner.plan(model.snapshot(), RouteReflectorConfig.defaults(), Instant.now());
        assertThat(pending.exit()).isEqualTo(1);
        assertThat(pending.out()).startsWith("Decisions: 3" + NL)
                .contains("Changes: " + plan.steps().size() + " write(s) (")
                .contains("), in the order the controller applies them");
        List<String> stepLines = pending.out().lines().dropWhile(l -> !l.startsWith("Changes: ")).skip(1)
                .takeWhile(l -> l.startsWith("  ")).map(String::strip).toList();
        // the same writes the planner gives, but for the serving-since instants of this run
        assertThat(stepLines.stream().map(PlanCommandTest::withoutInstants).toList())
                .isEqualTo(plan.steps().stream().map(s -> withoutInstants(s.toString())).toList());

        plan.steps().forEach(model::apply);
        Path after = kubectlYaml(model, "after.yaml");
        Run converged = run("plan", "--nodes", after.toString(), "--diff");
        assertThat(converged.exit()).isZero();
        assertThat(converged.out()).startsWith("No changes: the cluster already has the topology of this plan "
                + "(3 route reflector(s), 4 BGPPeer(s)).");

        // the same through stdin, as in kubectl get nodes,bgppeers -o yaml | kube-controllers plan --nodes - --diff
        InputStream stdin = System.in;
        try {
            System.setIn(new ByteArrayInputStream(Files.readAllBytes(before)));
            assertThat(run("plan", "--nodes", "-", "--diff").exit()).isEqualTo(1);
        } finally {
            System.setIn(stdin);
        }
    }

    @Test
    void theHelpNamesTheInputsAndTheExitCodes() {
        Run help = run("plan", "--help");

        assertThat(help.exit()).isZero();
        assertThat(help.out()).contains("--synthetic=SPEC", "--nodes=FILE", "--kubeconfig=FILE", "--config=FILE",
                "--topology=TYPE", "--set=KEY=VALUE", "-o, --output=FORMAT", "--diff", "Exit codes:",
                "1   with --diff: the controller would change something");
    }

    private static String withoutInstants(String line) {
        return line.replaceAll("serving-since=[0-9T:.Z-]+", "serving-since=<now>");
    }

    /** The model as kubectl get nodes,bgppeers -o yaml prints it (abridged). */
    private Path kubectlYaml(ClusterModel model, String name) throws Exception {
        List<Object> items = new ArrayList<>();
        for (NodeFacts node : model.nodes()) {
            Map<String, Object> metadata = new LinkedHashMap<>();
            metadata.put("name", node.name());
            metadata.put("creationTimestamp", node.created().toString());
            metadata.put("labels", node.labels());
            metadata.put("annotations", node.annotations());
            items.add(Map.of("apiVersion", "v1", "kind", "Node", "metadata", metadata,
                    "status", Map.of("conditions", List.of(Map.of("type", "Ready", "status", node.ready() ? "True" : "False"),
                            Map.of("type", "DiskPressure", "status", "False")))));
        }
        for (PeerFacts peer : model.peers()) {
            items.add(Map.of("apiVersion", "crd.projectcalico.org/v1", "kind", "BGPPeer",
                    "metadata", Map.of("name", peer.name(), "labels", Map.of(Names.MANAGED_BY_LABEL, Names.CONTROLLER_NAME)),
                    "spec", Map.of("nodeSelector", peer.nodeSelector(), "peerSelector", peer.peerSelector())));
        }
        Path file = dir.resolve(name);
        Files.writeString(file, YAML.writeValueAsString(Map.of("apiVersion", "v1", "kind", "List", "items", items)),
                StandardCharsets.UTF_8);
        return file;
    }

    private static List<String> warnings(String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("plan"));
        all.addAll(List.of(args));
        all.addAll(List.of("-o", "json"));
        Run run = run(all.toArray(String[]::new));
        assertThat(run.exit()).as(run.err()).isZero();
        List<String> warnings = new ArrayList<>();
        new ObjectMapper().readTree(run.out()).get("warnings").forEach(w -> warnings.add(w.asText()));
        return warnings;
    }

    @Test
    void aQuorumCountTheConfigurationDoesNotGiveInWholeQuorumsIsWarnedAsRounded() throws Exception {
        assertThat(warnings("--synthetic", "nodes=600,zones=3", "--set", "ratio=0.1", "--set", "max=13",
                "--topology", "quorum")).containsExactly("quorum: min=3 max=13 and the linear calculation give 13 "
                        + "route reflector(s) for 600 eligible node(s); whole quorums of 3 make it 12");
        // 7 rounds up to 9 within max
        assertThat(warnings("--synthetic", "nodes=70", "--set", "ratio=0.1", "--topology", "quorum"))
                .containsExactly("quorum: min=3 max=10 and the linear calculation give 7 route reflector(s) for 70 "
                        + "eligible node(s); whole quorums of 3 make it 9");
        assertThat(warnings("--synthetic", "nodes=600,zones=3", "--set", "ratio=0.1", "--set", "max=12",
                "--topology", "quorum")).isEmpty();
        assertThat(warnings("--synthetic", "nodes=600,zones=3", "--set", "ratio=0.1", "--set", "max=13",
                "--topology", "multi")).isEmpty();
    }

    @Test
    void multiWithNoMoreReflectorsThanRouteReflectorsPerNodeIsWarnedThatItsGroupsAreAllTheSame() throws Exception {
        assertThat(warnings("--synthetic", "nodes=12,zones=2", "--set", "max=3", "--topology", "multi"))
                .containsExactly("multi: 3 route reflector(s) and routeReflectorsPerNode=3: every client peers with "
                        + "every route reflector, so the groups' BGPPeers all select the same ones (as single, with "
                        + "more BGPPeers); with more than 3 route reflectors (raise min or ratio) clients are spread "
                        + "over groups of 3");
        assertThat(warnings("--synthetic", "nodes=12,zones=2", "--set", "max=3", "--set", "routeReflectorsPerNode=4",
                "--topology", "multi")).singleElement().asString()
                .startsWith("multi: 3 route reflector(s) and routeReflectorsPerNode=4: every client peers with every "
                        + "route reflector (3 session(s), not 4),");
        assertThat(warnings("--synthetic", "nodes=12,zones=2", "--set", "min=4", "--topology", "multi")).isEmpty();
        assertThat(warnings("--synthetic", "nodes=12,zones=2", "--set", "max=3", "--topology", "single")).isEmpty();
    }
}
