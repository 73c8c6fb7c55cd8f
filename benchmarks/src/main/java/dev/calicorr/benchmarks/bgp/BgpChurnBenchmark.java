package dev.calicorr.benchmarks.bgp;

import dev.calicorr.core.kube.ConfigurationStore;
import dev.calicorr.core.kube.KubeControllersConfiguration;
import dev.calicorr.core.runtime.Host;
import dev.calicorr.core.runtime.HostOptions;
import dev.calicorr.routereflector.config.RouteReflectorConfigParser;
import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.kube.LiveCluster;
import dev.calicorr.routereflector.model.ClusterSnapshot;
import dev.calicorr.routereflector.model.Names;
import dev.calicorr.routereflector.model.NodeFacts;
import dev.calicorr.routereflector.plan.Plan;
import dev.calicorr.routereflector.plan.Planner;
import dev.calicorr.testsupport.ControlPlane;
import dev.calicorr.testsupport.SimulatedNodes;
import dev.calicorr.testsupport.bgp.BgpNetwork;
import dev.calicorr.testsupport.bgp.BgpNode;
import dev.calicorr.testsupport.bgp.BirdState;
import dev.calicorr.testsupport.bgp.CalicoParts;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.Label;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;

/**
 * {@code ./bench.sh bgp-churn [nodes]}: the churn of topology events on real BGP (Calico's confd and
 * status reporter, Debian's BIRD, a network namespace per node, the node-to-node mesh off). Per
 * event: the controller's node and BGPPeer writes and the BGP session changes it counted for them
 * ({@code calico_rr_api_writes_total}, {@code calico_rr_bgp_session_changes_total}: calico-node's rules
 * applied to what it wrote), beside what BIRD went through: every live node's Established sessions
 * sampled every 250 ms from the event until BGP settled, each session that came or went counted once
 * (not at both ends), a restart (down, then up) as two. Sessions with nodes the event itself takes
 * down are not counted, as in the pure churn benchmark. Needs root (network namespaces).
 */
public final class BgpChurnBenchmark {
    private static final List<String> ZONES = List.of("a", "b", "c");
    private static final Duration SAMPLE = Duration.ofMillis(250);
    private static final Duration QUIET = Duration.ofSeconds(5);
    private static final Duration TIMEOUT = RouteReflectorConfig.DEFAULT_SESSION_STUCK_AFTER.plusMinutes(1);

    private final ControlPlane cp;
    private final BgpNetwork network;
    private final Map<String, Object> section = new LinkedHashMap<>();
    private final List<String> rows = new ArrayList<>();
    private Host host;

    private BgpChurnBenchmark(ControlPlane cp, BgpNetwork network) {
        this.cp = cp;
        this.network = network;
        section.put("topologyType", "multi");
        section.put("ratio", 0.11);
        section.put("removalDelay", "3s");
        section.put("manageNodeToNodeMesh", true);
    }

    public static void main(String[] args) throws Exception {
        int count = args.length > 0 ? Integer.parseInt(args[0]) : 40;
        Path dir = Paths.get("benchmarks", "target", "bgp-churn");
        try (ControlPlane cp = ControlPlane.start(dir);
                BgpNetwork network = BgpNetwork.start(cp, CalicoParts.build(ControlPlane.repoRoot()), dir.resolve("bgp"))) {
            BgpChurnBenchmark benchmark = new BgpChurnBenchmark(cp, network);
            try {
                benchmark.run(count);
            } finally {
                if (benchmark.host != null) {
                    benchmark.host.close();
                }
            }
            String table = String.join("\n", benchmark.rows) + "\n";
            Files.writeString(dir.resolve("bgp-churn.md"), table);
            System.out.print(table);
        }
        System.exit(0); // the client's and the informers' threads
    }

    private void run(int count) throws Exception {
        network.addNodes(IntStream.range(0, count).mapToObj(i -> SimulatedNodes.node(String.format("node-%02d", i))
                .zone(ZONES.get(i % ZONES.size()))).toList());
        network.awaitFullRoutes(TIMEOUT);
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("prometheusMetricsPort", 0);
        spec.put("controllers", Map.of("routereflector", section));
        ConfigurationStore.api(cp.adminClient()).create(new KubeControllersConfiguration(new V1ObjectMeta().name("default"), spec));
        host = new Host(HostOptions.defaults(Map.of("ENABLED_CONTROLLERS", "routereflector"), "bench")
                .withHealth("127.0.0.1", 0), cp.controllerClient(), cp.newControllerClient(), Host.discoverPlugins(), () -> { });
        host.start();
        settle();
        rows.add("| nodes | event | R | node writes | BGPPeer writes | session changes (controller's count) | "
                + "BIRD session changes |");
        rows.add("| ---: | --- | --- | ---: | ---: | ---: | ---: |");

        String added = String.format("node-%02d", count);
        event(count, "one client added", Set.of(), () -> network.addNodes(List.of(SimulatedNodes.node(added).zone("a"))));
        event(count, "one client removed", Set.of(added), () -> network.removeNode(added));
        String cordoned = reflectors().get(0);
        event(count, "one RR cordoned", Set.of(), () -> network.simulatedNodes().cordon(cordoned, true));
        event(count, "ratio 0.11 -> 0.06", Set.of(), () -> {
            section.put("ratio", 0.06);
            cp.kubectl("patch", "kubecontrollersconfigurations", "default", "--type=merge", "-p",
                    "{\"spec\":{\"controllers\":{\"routereflector\":{\"ratio\":0.06}}}}");
        });
        Set<String> zoneC = new HashSet<>();
        network.nodes().stream().map(BgpNode::name)
                .filter(n -> "c".equals(network.simulatedNodes().get(n).getMetadata().getLabels().get(SimulatedNodes.ZONE_LABEL)))
                .forEach(zoneC::add);
        event(count, "one zone lost (NotReady, BIRD stopped)", zoneC, () -> {
            for (String name : zoneC) {
                network.node(name).killBird();
                network.simulatedNodes().setReady(name, false);
            }
        });
    }

    private interface Change {
        void run() throws Exception;
    }

    /** One row: the event, then the controller's writes and BIRD's session changes until BGP settled. */
    private void event(int count, String what, Set<String> takenDown, Change change) throws Exception {
        String before = String.valueOf(reflectors().size());
        double writes = writes("node");
        double peerWrites = writes("bgppeer");
        double sessions = counter("calico_rr_bgp_session_changes", null);
        Set<String> downIps = new HashSet<>();
        takenDown.forEach(name -> downIps.add(network.node(name).ip()));
        SessionSampler sampler = new SessionSampler(downIps);
        Thread thread = new Thread(sampler, "bird-sampler");
        thread.start();
        try {
            change.run();
            settle();
        } finally {
            sampler.running.set(false);
            thread.join();
        }
        String after = String.valueOf(reflectors().size());
        rows.add("| " + count + " | " + what + " | " + (before.equals(after) ? after : before + " -> " + after) + " | "
                + (long) (writes("node") - writes) + " | " + (long) (writes("bgppeer") - peerWrites) + " | "
                + (long) (counter("calico_rr_bgp_session_changes", null) - sessions) + " | " + sampler.changes / 2 + " |");
        System.out.println(rows.get(rows.size() - 1));
    }

    /**
     * The controller has nothing to write or wait for and has handed the mesh off, every node has
     * every route, and BGP has settled.
     */
    private void settle() throws Exception {
        RouteReflectorConfig config = RouteReflectorConfigParser.parse(section, Map.of()).config();
        Instant deadline = Instant.now().plus(TIMEOUT);
        while (true) {
            Plan plan = Planner.plan(LiveCluster.read(cp.adminClient()), config, Instant.now());
            if (plan.steps().isEmpty() && plan.recheckAfter().isEmpty() && "false".equals(cp.kubectl("get",
                    "bgpconfiguration", "default", "-o", "jsonpath={.spec.nodeToNodeMeshEnabled}").stdout().trim())) {
                break;
            }
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("the controller did not settle within " + TIMEOUT + ": " + plan.steps());
            }
            Thread.sleep(200);
        }
        network.awaitFullRoutes(TIMEOUT);
        network.awaitStable(QUIET, TIMEOUT);
    }

    private List<String> reflectors() throws Exception {
        ClusterSnapshot snapshot = LiveCluster.read(cp.adminClient());
        return snapshot.nodes().stream().filter(n -> n.annotations().containsKey(Names.CLUSTER_ID_ANNOTATION))
                .map(NodeFacts::name).sorted().toList();
    }

    private double writes(String kind) {
        return counter("calico_rr_api_writes", kind);
    }

    /** A counter of the host's registry, summed over its data points (those of {@code kind} only, when given). */
    private double counter(String name, String kind) {
        return host.registry().scrape().stream().filter(m -> m.getMetadata().getName().equals(name))
                .map(m -> (CounterSnapshot) m).flatMap(c -> c.getDataPoints().stream())
                .filter(d -> kind == null || d.getLabels().stream().anyMatch(l -> l.getName().equals("kind")
                        && l.getValue().equals(kind)) && d.getLabels().stream().anyMatch(l -> isSuccess(l)))
                .mapToDouble(CounterSnapshot.CounterDataPointSnapshot::getValue).sum();
    }

    private static boolean isSuccess(Label label) {
        return label.getName().equals("outcome") && label.getValue().equals("success");
    }

    /** Every live node's Established peers, sampled; each peer that came or went since the last sample counts. */
    private final class SessionSampler implements Runnable {
        final AtomicBoolean running = new AtomicBoolean(true);
        final Set<String> ignored;
        final Map<String, Set<String>> last = new HashMap<>();
        long changes;

        SessionSampler(Set<String> ignored) {
            this.ignored = ignored;
        }

        @Override
        public void run() {
            Instant deadline = Instant.now().plus(TIMEOUT.multipliedBy(2));
            while (running.get() && Instant.now().isBefore(deadline)) {
                sample();
                try {
                    Thread.sleep(SAMPLE.toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            sample();
        }

        private void sample() {
            for (BgpNode node : network.liveNodes()) {
                if (ignored.contains(node.ip())) {
                    continue;
                }
                BirdState state = node.stateOrEmpty();
                if (state.sessions().isEmpty()) {
                    continue; // BIRD did not answer (starting, or going): nothing to compare
                }
                Set<String> up = new HashSet<>();
                state.established().stream().map(BirdState.Session::peerIp).filter(ip -> !ignored.contains(ip))
                        .forEach(up::add);
                Set<String> was = last.put(node.name(), up);
                if (was != null) {
                    changes += up.stream().filter(ip -> !was.contains(ip)).count()
                            + was.stream().filter(ip -> !up.contains(ip)).count();
                }
            }
        }
    }
}
