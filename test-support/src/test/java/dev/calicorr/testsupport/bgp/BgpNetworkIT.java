package dev.calicorr.testsupport.bgp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.calicorr.testsupport.Commands;
import dev.calicorr.testsupport.ControlPlane;
import dev.calicorr.testsupport.SimulatedNodes;
import io.kubernetes.client.openapi.apis.CustomObjectsApi;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real-BGP harness itself, with no controller: Calico's confd renders the node-to-node mesh
 * (on by default) from the API, Debian's BIRD brings the sessions up, routes follow, and Calico's
 * status reporter fills CalicoNodeStatus.
 */
@RealBgp
class BgpNetworkIT {
    private static final Duration CONVERGE = Duration.ofSeconds(90);

    private static List<SimulatedNodes.NodeBuilder> nodes(int count) {
        return IntStream.rangeClosed(1, count).mapToObj(i -> SimulatedNodes.node(String.format("bgp-%02d", i))).toList();
    }

    @Test
    void theMeshThatConfdRendersCarriesEveryBlockToEveryNode(ControlPlane plane, BgpNetwork network) throws IOException {
        network.addNodes(nodes(4));

        network.awaitFullRoutes(CONVERGE);
        network.awaitStable(Duration.ofSeconds(3), CONVERGE);

        for (BgpNode node : network.nodes()) {
            BirdState state = node.state();
            assertThat(state.established()).as("%s: %s", node, state.sessions()).hasSize(3)
                    .allSatisfy(s -> assertThat(s.name()).startsWith("Mesh_"));
            assertThat(state.prefixes()).contains("198.19.1.0/26", "198.19.2.0/26", "198.19.3.0/26", "198.19.4.0/26");
        }
        assertThat(network.node("bgp-01").birdc("show protocols")).contains("Mesh_198_18_0_2", "Established");
    }

    @Test
    void aKilledBirdLosesItsSessionsAndARestartedOneGetsThemBack(BgpNetwork network) {
        network.addNodes(nodes(3));
        network.awaitFullRoutes(CONVERGE);

        BgpNode dead = network.node("bgp-02");
        dead.killBird();
        // The kernel closes the dead BIRD's TCP sessions, so its peers see them go at once. They keep
        // its routes as stale for BIRD's graceful restart time (Calico's template turns it on), as a
        // real calico-node's peers do after a crash.
        Instant deadline = Instant.now().plus(CONVERGE);
        while (network.node("bgp-01").stateOrEmpty().established().stream().anyMatch(s -> s.peerIp().equals(dead.ip()))) {
            assertThat(Instant.now()).as("bgp-01 still has an Established session with the dead node").isBefore(deadline);
            sleep(200);
        }
        assertThat(dead.birdRunning()).isFalse();
        assertThat(network.liveNodes()).extracting(BgpNode::name).containsExactly("bgp-01", "bgp-03");
        assertThat(network.missingRoutes()).as("the survivors still reach each other").isEmpty();

        dead.startBird();
        network.awaitFullRoutes(CONVERGE);
        network.awaitStable(Duration.ofSeconds(3), CONVERGE);
        assertThat(network.node("bgp-01").stateOrEmpty().established()).extracting(BirdState.Session::peerIp)
                .contains(dead.ip());
    }

    @Test
    void theSamplerSeesAGapWhileARouteIsWithdrawnAndNoneOtherwise(BgpNetwork network) {
        network.addNodes(nodes(3));
        network.awaitFullRoutes(CONVERGE);
        try (RouteSampler quiet = network.sampleRoutes(Duration.ofMillis(200))) {
            sleep(1500);
            RouteSampler.Report report = quiet.stop();
            assertThat(report.samples()).isGreaterThan(3);
            assertThat(report.longestGap()).as("%s", report).isZero();
        }

        // bgp-03's block leaves the API: confd on bgp-03 stops exporting it, every other node loses the
        // route; it comes back when the affinity does. Both nodes stay live, so this is a real gap.
        try (RouteSampler sampler = network.sampleRoutes(Duration.ofMillis(200))) {
            // the sampler counts a gap only for a route it saw first: let it take its first samples
            sleep(1000);
            network.withdrawBlock("bgp-03");
            Instant deadline = Instant.now().plus(CONVERGE);
            while (!network.missingRoutes().containsKey("bgp-01")) {
                assertThat(Instant.now()).as("bgp-01 loses the withdrawn block").isBefore(deadline);
                sleep(200);
            }
            sleep(1000); // a gap several sample periods long, not one that falls between two samples
            network.restoreBlock("bgp-03");
            network.awaitFullRoutes(CONVERGE);
            sleep(500);
            RouteSampler.Report report = sampler.stop();
            assertThat(report.longestGap()).as("%s", report).isPositive();
            assertThat(report.gaps()).isNotEmpty().allSatisfy(g -> assertThat(g.owner()).isEqualTo("bgp-03"));
            assertThat(report.longestGapExcept(java.util.Set.of("bgp-03"))).isZero();
        }
    }

    @Test
    void calicosStatusReporterFillsCalicoNodeStatusFromBird(ControlPlane plane, BgpNetwork network) throws Exception {
        network.addNodes(nodes(3));
        network.awaitFullRoutes(CONVERGE);
        CustomObjectsApi custom = new CustomObjectsApi(plane.adminClient());
        custom.createClusterCustomObject(BgpNetwork.GROUP, "v1", "caliconodestatuses", Map.of(
                "apiVersion", BgpNetwork.GROUP + "/v1", "kind", "CalicoNodeStatus",
                "metadata", Map.of("name", "probe-bgp-01"),
                "spec", Map.of("node", "bgp-01", "classes", List.of("Agent", "BGP", "Routes"),
                        "updatePeriodSeconds", 1))).execute();

        Instant deadline = Instant.now().plus(CONVERGE);
        Object established = null;
        while (!Integer.valueOf(2).equals(established)) {
            assertThat(Instant.now()).as("the reporter writes bgp-01's sessions").isBefore(deadline);
            sleep(500);
            @SuppressWarnings("unchecked")
            Map<String, Object> status = (Map<String, Object>) ((Map<String, Object>) custom
                    .getClusterCustomObject(BgpNetwork.GROUP, "v1", "caliconodestatuses", "probe-bgp-01").execute())
                    .get("status");
            @SuppressWarnings("unchecked")
            Map<String, Object> bgp = status == null ? null : (Map<String, Object>) status.get("bgp");
            established = bgp == null ? null : ((Number) bgp.getOrDefault("numberEstablishedV4", -1)).intValue();
        }
    }

    @Test
    void closingRemovesEveryNamespaceAndProcess(ControlPlane plane, @TempDir Path work) {
        CalicoParts parts = CalicoParts.build(ControlPlane.repoRoot());
        BgpNetwork network = BgpNetwork.start(plane, parts, work);
        List<ProcessHandle> before = ProcessHandle.current().children().toList();
        List<BgpNode> nodes = network.addNodes(nodes(2));
        String namespace = nodes.get(0).namespace();
        assertThat(netnsList()).contains(namespace);
        List<ProcessHandle> children = ProcessHandle.current().children().filter(p -> !before.contains(p)).toList();
        assertThat(children).as("confd, bird, bird6 and the reporter of 2 nodes").hasSize(8);

        network.close();

        String prefix = namespace.substring(0, namespace.lastIndexOf('-'));
        assertThat(netnsList()).doesNotContain(prefix);
        assertThat(children).noneMatch(ProcessHandle::isAlive);
    }

    private static String netnsList() {
        return Commands.run(List.of("ip", "netns", "list"), Path.of("/"), Duration.ofSeconds(10)).stdout();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
