package dev.calicorr.demo;

import dev.calicorr.core.kube.ConfigurationStore;
import dev.calicorr.core.kube.KubeControllersConfiguration;
import dev.calicorr.core.runtime.Host;
import dev.calicorr.core.runtime.HostOptions;
import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.model.ClusterSnapshot;
import dev.calicorr.routereflector.model.NodeFacts;
import dev.calicorr.testsupport.ControlPlane;
import dev.calicorr.testsupport.SimulatedNodes;
import dev.calicorr.testsupport.bgp.BgpNetwork;
import dev.calicorr.testsupport.bgp.BgpNode;
import dev.calicorr.testsupport.bgp.CalicoParts;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import java.io.IOException;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * {@code ./demo.sh --bgp}: the demo on real BGP. Each simulated node runs Calico's own confd, which
 * renders BIRD's config from what the controller writes, Debian's BIRD in a network namespace of its
 * own (198.18.0.x), and calico-node's status reporter; the mesh really goes off, and what you see
 * is BIRD's own view of its sessions and routes.
 */
final class BgpDemo {
    private static final Duration BGP = Duration.ofSeconds(120);
    private static final int NODES = 12;

    private final ControlPlane cp;
    private final Demo demo;

    BgpDemo(ControlPlane cp, Demo demo) {
        this.cp = cp;
        this.demo = demo;
    }

    void run(Host[] host, Map<String, Object> section) throws Exception {
        Demo.banner("building (first time) and starting Calico's parts: " + NODES + " nodes, each with confd, BIRD "
                + "and bird6 in its own network namespace, and calico-node's status reporter");
        BgpNetwork network = BgpNetwork.start(cp, CalicoParts.build(ControlPlane.repoRoot()), Paths.get("target", "demo-bgp"));
        cp.onStop(network::close);
        network.addNodes(IntStream.range(0, NODES).mapToObj(i -> SimulatedNodes.node(String.format("node-%02d", i))
                .zone(Demo.ZONES.get(i % Demo.ZONES.size()))).toList());
        network.awaitFullRoutes(BGP);
        System.out.println("  every node has every other node's pod block, over the node-to-node mesh");
        birdc(network.node("node-00"), "show protocols");

        section.putAll(Map.of("topologyType", "multi", "ratio", 0.25, "manageNodeToNodeMesh", true));
        Demo.banner("KubeControllersConfiguration/default: spec.controllers.routereflector = " + section);
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("prometheusMetricsPort", 0);
        spec.put("controllers", Map.of("routereflector", section));
        ConfigurationStore.api(cp.adminClient())
                .create(new KubeControllersConfiguration(new V1ObjectMeta().name("default"), spec));
        Demo.banner("starting the kube-controllers host; it turns the mesh off once the RRs' sessions are Established");
        HostOptions options = HostOptions.defaults(Map.of("ENABLED_CONTROLLERS", "routereflector"), "demo")
                .withHealth("127.0.0.1", 0);
        host[0] = new Host(options, cp.controllerClient(), cp.newControllerClient(), Host.discoverPlugins(), () -> { });
        host[0].start();
        awaitMeshOff();
        ClusterSnapshot converged = settle(network);
        demo.show(converged);
        demo.kubectl("get", "bgpconfiguration", "default", "-o",
                "custom-columns=NAME:.metadata.name,NODE-TO-NODE-MESH:.spec.nodeToNodeMeshEnabled");
        String reflector = reflectors(converged).get(0);
        String client = converged.nodes().stream().map(NodeFacts::name)
                .filter(n -> !reflectors(converged).contains(n)).sorted().findFirst().orElseThrow();
        birdc(network.node(reflector), "show protocols");
        birdc(network.node(client), "show protocols");
        birdc(network.node(client), "show route");

        Demo.banner("cordoning route reflector " + reflector + ": replaced, its clients keep their routes");
        network.simulatedNodes().cordon(reflector, true);
        ClusterSnapshot after = settle(network);
        demo.show(after);
        String stillClient = after.nodes().stream().map(NodeFacts::name)
                .filter(n -> !reflectors(after).contains(n) && !n.equals(reflector)).sorted().findFirst().orElseThrow();
        birdc(network.node(stillClient), "show protocols");
    }

    /** The controller hands the mesh off only once the RRs' sessions are Established (calico-node reports every 10s). */
    private void awaitMeshOff() throws InterruptedException {
        Instant deadline = Instant.now().plus(BGP);
        while (!"false".equals(cp.kubectl("get", "bgpconfiguration", "default", "-o",
                "jsonpath={.spec.nodeToNodeMeshEnabled}").stdout().trim())) {
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("the controller did not turn the node-to-node mesh off within " + BGP);
            }
            Thread.sleep(500);
        }
        System.out.println("  the controller turned the node-to-node mesh off");
    }

    /** The controller has nothing left to do, every node has every route, and BGP has settled. */
    private ClusterSnapshot settle(BgpNetwork network) throws Exception {
        ClusterSnapshot snapshot = demo.converge();
        network.awaitFullRoutes(BGP);
        network.awaitStable(Duration.ofSeconds(5), BGP);
        System.out.println("  BIRD: every node has a route to every other node's block, sessions settled");
        return snapshot;
    }

    private static List<String> reflectors(ClusterSnapshot snapshot) {
        return snapshot.nodes().stream().filter(n -> n.labels().containsKey(RouteReflectorConfig.DEFAULT_RR_LABEL_KEY))
                .map(NodeFacts::name).sorted().toList();
    }

    private static void birdc(BgpNode node, String command) throws IOException {
        System.out.println();
        System.out.println("  $ birdc -s " + node.birdSocket() + " " + command + "      # " + node.name() + " (" + node.ip()
                + ")");
        for (String line : node.birdc(command).split("\n")) {
            System.out.println("    " + line);
        }
    }
}
