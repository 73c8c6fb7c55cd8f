package dev.calicorr.demo;

import dev.calicorr.core.kube.ConfigurationStore;
import dev.calicorr.core.kube.KubeControllersConfiguration;
import dev.calicorr.core.runtime.Host;
import dev.calicorr.core.runtime.HostOptions;
import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.config.RouteReflectorConfigParser;
import dev.calicorr.routereflector.kube.LiveCluster;
import dev.calicorr.routereflector.model.ClusterSnapshot;
import dev.calicorr.routereflector.model.Names;
import dev.calicorr.routereflector.model.NodeFacts;
import dev.calicorr.routereflector.plan.Plan;
import dev.calicorr.routereflector.plan.Planner;
import dev.calicorr.testsupport.ControlPlane;
import dev.calicorr.testsupport.SimulatedNodes;
import io.kubernetes.client.custom.V1Patch;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * The local demo: a real kube-apiserver and etcd on loopback, simulated nodes in three zones, the
 * kube-controllers host with the route reflector controller (as its least-privilege
 * ServiceAccount), and the topology following the cluster as it changes. {@code --bgp} runs it on
 * real BGP ({@link BgpDemo}); {@code --keep-running} leaves it up for your own kubectl; Ctrl-C stops
 * everything cleanly.
 */
public final class Demo {
    static final List<String> ZONES = List.of("zone-a", "zone-b", "zone-c");
    private static final Duration STEP_TIMEOUT = Duration.ofSeconds(90);

    private final ControlPlane cp;
    private final SimulatedNodes nodes;
    /** No calico-node reports sessions here: each break phase waits sessionSettleDelay, shortened like removalDelay. */
    private final Map<String, Object> section = new LinkedHashMap<>(Map.of("ratio", 0.1, "removalDelay", "5s",
            "sessionSettleDelay", "5s"));

    private Demo(ControlPlane cp) {
        this.cp = cp;
        this.nodes = new SimulatedNodes(cp.adminClient());
    }

    public static void main(String[] args) throws Exception {
        boolean keepRunning = List.of(args).contains("--keep-running");
        boolean bgp = List.of(args).contains("--bgp");
        int count = 60;
        for (String arg : args) {
            if (arg.startsWith("--nodes=")) {
                count = Integer.parseInt(arg.substring("--nodes=".length()));
            }
        }
        banner("starting a real control plane (kube-apiserver + etcd on loopback)");
        ControlPlane cp = ControlPlane.start(Paths.get("target", "demo"));
        Host[] host = new Host[1];
        CountDownLatch done = new CountDownLatch(1);
        cp.onStop(() -> { // on Ctrl-C too: the host hands its Lease back while the API still answers
            if (host[0] != null) {
                host[0].close();
            }
            done.countDown();
        });
        System.out.println("  API " + cp.url() + "   kubeconfig " + cp.adminKubeconfig());
        Demo demo = new Demo(cp);
        if (bgp) {
            new BgpDemo(cp, demo).run(host, demo.section);
        } else {
            demo.run(count, host);
        }
        if (keepRunning) {
            banner("still running: try  " + cp.binDir().resolve("kubectl") + " --kubeconfig " + cp.adminKubeconfig()
                    + " get bgppeers   (Ctrl-C stops)");
            done.await();
        } else {
            banner("done; stopping (run ./demo.sh --keep-running to explore with kubectl)");
            cp.close();
        }
        System.exit(0);
    }

    private void run(int count, Host[] host) throws Exception {
        banner("creating " + count + " Ready nodes in " + ZONES.size() + " zones (no kubelets: plain Node objects)");
        nodes.createMany("node", 0, count, ZONES);

        banner("KubeControllersConfiguration/default: spec.controllers.routereflector = " + section);
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("prometheusMetricsPort", 0);
        spec.put("controllers", Map.of("routereflector", section));
        ConfigurationStore.api(cp.adminClient())
                .create(new KubeControllersConfiguration(new V1ObjectMeta().name("default"), spec));

        banner("starting the kube-controllers host with ENABLED_CONTROLLERS=routereflector");
        HostOptions options = HostOptions.defaults(Map.of("ENABLED_CONTROLLERS", "routereflector"), "demo")
                .withHealth("127.0.0.1", 0);
        host[0] = new Host(options, cp.controllerClient(), cp.newControllerClient(), Host.discoverPlugins(), () -> { });
        host[0].start();
        show(converge());

        banner("growing the cluster by 30 nodes");
        nodes.createMany("node", count, 30, ZONES);
        show(converge());

        ClusterSnapshot now = LiveCluster.read(cp.adminClient());
        String cordoned = now.nodes().stream().filter(n -> n.labels().containsKey(rrLabel())).map(NodeFacts::name)
                .sorted().findFirst().orElseThrow();
        banner("cordoning route reflector " + cordoned + " (replaced; demoted once the new one has served 5s)");
        nodes.cordon(cordoned, true);
        show(converge());

        banner("deleting half of the nodes");
        for (int i = 0; i < (count + 30) / 2; i++) {
            nodes.delete(String.format("node-%03d", i * 2 + 1));
        }
        show(converge());

        banner("kubectl edit: topologyType single");
        section.put("topologyType", "single");
        ConfigurationStore.api(cp.adminClient()).patch("default", V1Patch.PATCH_FORMAT_JSON_MERGE_PATCH,
                new V1Patch("{\"spec\":{\"controllers\":{\"routereflector\":{\"topologyType\":\"single\"}}}}"));
        show(converge());
    }

    private String rrLabel() {
        return RouteReflectorConfig.DEFAULT_RR_LABEL_KEY;
    }

    /** Waits until the planner, looking at the live cluster, has nothing left to do. */
    ClusterSnapshot converge() throws Exception {
        RouteReflectorConfig config = RouteReflectorConfigParser.parse(section, Map.of()).config();
        Instant started = Instant.now();
        Thread.sleep(500); // let the controller see the change first
        while (Duration.between(started, Instant.now()).compareTo(STEP_TIMEOUT) < 0) {
            ClusterSnapshot snapshot = LiveCluster.read(cp.adminClient());
            Plan plan = Planner.plan(snapshot, config, Instant.now());
            if (plan.steps().isEmpty() && plan.recheckAfter().isEmpty()) {
                System.out.printf("  converged in %.1f s%n", Duration.between(started, Instant.now()).toMillis() / 1000.0);
                return snapshot;
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("the topology did not converge within " + STEP_TIMEOUT);
    }

    void show(ClusterSnapshot snapshot) {
        long reflectors = snapshot.nodes().stream().filter(n -> n.annotations().containsKey(Names.CLUSTER_ID_ANNOTATION))
                .count();
        System.out.printf("  %d nodes, %d route reflectors, %d BGPPeers owned%n%n", snapshot.nodes().size(), reflectors,
                snapshot.ownedPeers().size());
        kubectl("get", "nodes", "-l", rrLabel(), "-L", "topology.kubernetes.io/zone," + Names.RR_INDEX_LABEL,
                "-o", "custom-columns=NAME:.metadata.name,ZONE:.metadata.labels.topology\\.kubernetes\\.io/zone,"
                        + "RR-INDEX:.metadata.labels.calico-rr-controller/rr-index,"
                        + "CLUSTER-ID:.metadata.annotations.projectcalico\\.org/RouteReflectorClusterID");
        System.out.println();
        kubectl("get", "bgppeers", "-o",
                "custom-columns=NAME:.metadata.name,NODE-SELECTOR:.spec.nodeSelector,PEER-SELECTOR:.spec.peerSelector");
    }

    void kubectl(String... args) {
        System.out.println("  $ kubectl " + String.join(" ", args).replace("\\", ""));
        var result = cp.kubectl(args);
        for (String line : (result.ok() ? result.stdout() : result.stderr()).split("\n")) {
            System.out.println("    " + line);
        }
    }

    static void banner(String text) {
        System.out.println();
        System.out.println("==> " + text);
    }
}
