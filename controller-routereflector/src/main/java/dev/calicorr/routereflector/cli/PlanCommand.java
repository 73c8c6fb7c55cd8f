package dev.calicorr.routereflector.cli;

import dev.calicorr.core.kube.ConfigurationStore;
import dev.calicorr.core.kube.KubeClients;
import dev.calicorr.core.kube.KubeControllersConfiguration;
import dev.calicorr.core.plugin.ParsedConfig;
import dev.calicorr.routereflector.RouteReflectorPlugin;
import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.config.RouteReflectorConfigParser;
import dev.calicorr.routereflector.kube.LiveCluster;
import dev.calicorr.routereflector.model.ClusterSnapshot;
import dev.calicorr.routereflector.plan.Plan;
import dev.calicorr.routereflector.plan.Planner;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.util.generic.KubernetesApiResponse;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code kube-controllers plan}: runs the planner once, as the controller would, over a cluster
 * (live, a node file, or a synthetic one) and a configuration, and prints what the plan amounts to,
 * or with {@code --diff} the writes the controller would make. Writes nothing to any cluster.
 */
@Command(name = "plan", mixinStandardHelpOptions = true, sortOptions = false, usageHelpWidth = 110,
        header = "Shows the route reflector topology the controller would build, or with --diff what it would change.",
        description = {
            "Shows the route reflector topology the controller would build for a cluster and a configuration: "
                    + "route reflectors per zone, sessions per route reflector and per client, BGPPeers, BGP sessions "
                    + "against a full mesh. With --diff: what the controller would change. Writes nothing.",
            "The cluster is the live one (kubeconfig), a node file (--nodes) or a synthetic one (--synthetic). "
                    + "The configuration is --config, else the live KubeControllersConfiguration/default, else the "
                    + "defaults; --set and --topology go on top. The shell's ROUTE_REFLECTOR_* variables are not read."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:the plan was printed; with --diff: nothing would change",
            "1:with --diff: the controller would change something",
            "2:unusable input (flags, configuration, node file) or the cluster could not be read"})
public final class PlanCommand implements Callable<Integer> {
    public static final int EXIT_CHANGES = 1;
    public static final int EXIT_INPUT = 2;

    /** Output formats. */
    public enum Output { table, yaml, json, dot, mermaid }

    @Option(names = "--synthetic", paramLabel = "SPEC", description = "a synthetic cluster: nodes=N[,zones=Z]"
            + "[,racks=K][,seed=S], e.g. nodes=5000,zones=3 (zones default 1, racks per zone default 0); "
            + "deterministic: the same SPEC gives the same nodes")
    String synthetic;

    @Option(names = "--nodes", paramLabel = "FILE", description = "nodes from a YAML or JSON file (- for stdin): "
            + "kubectl get nodes -o yaml, or kubectl get nodes,bgppeers -o yaml to include the current BGPPeers")
    String nodesFile;

    @Option(names = "--kubeconfig", paramLabel = "FILE", description = "the live cluster (the default input): "
            + "this kubeconfig, else $KUBECONFIG, ~/.kube/config, in-cluster")
    Path kubeconfig;

    @Option(names = "--config", paramLabel = "FILE", description = "the configuration: a routereflector section, a "
            + "KubeControllersConfiguration spec or the whole object (YAML or JSON)")
    Path configFile;

    @Option(names = "--topology", paramLabel = "TYPE", description = "the topology type (same as --set topologyType=TYPE)")
    String topology;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "a field of the routereflector section, e.g. "
            + "--set min=5 --set nodeSelector=\"rr-pool == 'true'\"; repeatable")
    List<String> sets = new ArrayList<>();

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "table",
            description = "table (default), yaml, json, or a picture of who peers with whom: dot (Graphviz) or "
                    + "mermaid")
    Output output;

    @Option(names = "--diff", description = "print the decisions and the writes (one line each, as the controller "
            + "logs them) that would take the live cluster or --nodes to this plan; exit 1 when there are any")
    boolean diff;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            PlanReport report = run();
            out.print(switch (output) {
                case yaml -> ReportWriter.yaml(report);
                case json -> ReportWriter.json(report);
                case dot -> GraphWriter.dot(report);
                case mermaid -> GraphWriter.mermaid(report);
                case table -> diff ? ReportWriter.diff(report) : ReportWriter.table(report);
            });
            out.flush();
            return diff && report.changes().writes() > 0 ? EXIT_CHANGES : 0;
        } catch (PlanInputException e) {
            err.println("plan: " + e.getMessage());
            err.flush();
            return EXIT_INPUT;
        }
    }

    private PlanReport run() throws PlanInputException {
        if (synthetic != null && nodesFile != null) {
            throw new PlanInputException("--synthetic and --nodes are two inputs: give one (or neither for the live "
                    + "cluster)");
        }
        if (diff && synthetic != null) {
            throw new PlanInputException("--diff compares with a cluster's current state: use it with the live cluster "
                    + "or --nodes, not --synthetic");
        }
        Map<String, Object> section = null;
        String configSource = "defaults";
        if (configFile != null) {
            section = PlanConfig.sectionOfFile(configFile);
            configSource = "--config " + configFile + (section == null ? " (no routereflector section: defaults)" : "");
        }
        ClusterSnapshot snapshot = null;
        List<String> notes = new ArrayList<>();
        String source;
        Instant now = Instant.now();
        if (nodesFile != null) {
            NodeFile.Contents contents = NodeFile.parse(readNodeFile(), nodesFile.equals("-") ? "stdin" : nodesFile);
            snapshot = contents.snapshot();
            notes.addAll(contents.notes());
            source = snapshot.nodes().size() + " nodes from " + (nodesFile.equals("-") ? "stdin" : nodesFile);
        } else if (synthetic == null) {
            ApiClient client = client();
            source = "the live cluster at " + client.getBasePath();
            if (configFile == null) {
                Live live = liveSection(client);
                section = live.section();
                configSource = live.source();
            }
            try {
                snapshot = LiveCluster.read(client);
            } catch (RuntimeException e) {
                throw new PlanInputException("cannot read nodes and BGPPeers from " + client.getBasePath() + ": "
                        + message(e), e);
            }
        } else {
            source = "synthetic " + synthetic;
            now = SyntheticCluster.NOW;
        }
        ParsedConfig<RouteReflectorConfig> parsed = PlanConfig.parse(section, sets, topology);
        RouteReflectorConfig config = parsed.config();
        if (synthetic != null) {
            SyntheticCluster.Spec synth;
            try {
                synth = SyntheticCluster.Spec.parse(synthetic);
            } catch (IllegalArgumentException e) {
                throw new PlanInputException("--synthetic " + synthetic + ": " + e.getMessage());
            }
            String zoneLabel = config.zoneLabel().isEmpty() ? RouteReflectorConfig.DEFAULT_ZONE_LABEL : config.zoneLabel();
            snapshot = new ClusterSnapshot(SyntheticCluster.nodes(synth, zoneLabel, config.rackLabel()),
                    List.of());
            source = "synthetic " + synth;
        }
        if (!sets.isEmpty()) {
            configSource += ", --set " + String.join(" --set ", sets);
        }
        if (topology != null) {
            configSource += ", --topology " + topology;
        }
        Plan plan = Planner.plan(snapshot, config, now);
        PlanReport.Config reportConfig = new PlanReport.Config(configSource, config.topologyType().configName(),
                RouteReflectorConfigParser.effective(config));
        return PlanReport.of(source, reportConfig, config, snapshot, plan, notes, diff);
    }

    private String readNodeFile() throws PlanInputException {
        try {
            return nodesFile.equals("-") ? new String(System.in.readAllBytes(), StandardCharsets.UTF_8)
                    : Files.readString(Path.of(nodesFile));
        } catch (IOException e) {
            throw new PlanInputException("--nodes: cannot read " + nodesFile + ": " + e.getMessage(), e);
        }
    }

    private ApiClient client() throws PlanInputException {
        try {
            ApiClient client = KubeClients.create(kubeconfig);
            client.setReadTimeout((int) Duration.ofSeconds(30).toMillis());
            return client;
        } catch (IOException | RuntimeException e) {
            throw new PlanInputException("no usable Kubernetes client configuration (" + message(e) + "): pass "
                    + "--kubeconfig, or plan without a cluster with --nodes or --synthetic", e);
        }
    }

    private record Live(Map<String, Object> section, String source) {
    }

    /** The routereflector section of KubeControllersConfiguration/default, as the controller reads it. */
    @SuppressWarnings("unchecked")
    private static Live liveSection(ApiClient client) throws PlanInputException {
        String name = "KubeControllersConfiguration/" + KubeControllersConfiguration.DEFAULT_NAME;
        KubernetesApiResponse<KubeControllersConfiguration> got;
        try {
            got = ConfigurationStore.api(client).get(KubeControllersConfiguration.DEFAULT_NAME);
        } catch (RuntimeException e) {
            throw new PlanInputException("cannot read " + name + " from " + client.getBasePath() + ": " + message(e), e);
        }
        if (got.getHttpStatusCode() == 404) {
            return new Live(null, "defaults (no " + name + ")");
        }
        if (!got.isSuccess()) {
            throw new PlanInputException("cannot read " + name + " from " + client.getBasePath() + ": HTTP "
                    + got.getHttpStatusCode() + (got.getStatus() == null ? "" : " " + got.getStatus().getMessage()));
        }
        Map<String, Object> spec = got.getObject().getSpec();
        Object controllers = spec == null ? null : spec.get("controllers");
        Object section = controllers instanceof Map<?, ?> map ? map.get(RouteReflectorPlugin.NAME) : null;
        if (!(section instanceof Map<?, ?>)) {
            return new Live(null, "defaults (" + name + " has no routereflector section; where Calico's CRD prunes "
                    + "it, pass the controller's --config file as --config)");
        }
        return new Live((Map<String, Object>) section, name);
    }

    private static String message(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String text = root.getMessage() != null ? root.getMessage() : root.toString();
        return text.replaceAll("\\s+", " ").trim();
    }
}
