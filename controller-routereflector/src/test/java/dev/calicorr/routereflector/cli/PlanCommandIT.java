package dev.calicorr.routereflector.cli;

import static dev.calicorr.routereflector.apply.LiveChecks.ZONES;
import static dev.calicorr.routereflector.apply.LiveChecks.awaitTopology;
import static dev.calicorr.routereflector.apply.LiveChecks.createConfiguration;
import static dev.calicorr.routereflector.apply.LiveChecks.newHost;
import static dev.calicorr.routereflector.apply.LiveChecks.observed;
import static dev.calicorr.routereflector.cli.PlanCommandTest.run;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.calicorr.core.runtime.Host;
import dev.calicorr.routereflector.RouteReflectorPlugin;
import dev.calicorr.routereflector.cli.PlanCommandTest.Run;
import dev.calicorr.routereflector.config.RouteReflectorConfigParser;
import dev.calicorr.routereflector.model.ClusterSnapshot;
import dev.calicorr.routereflector.model.Names;
import dev.calicorr.routereflector.model.NodeFacts;
import dev.calicorr.routereflector.model.PeerFacts;
import dev.calicorr.routereflector.plan.Decision;
import dev.calicorr.routereflector.plan.Plan;
import dev.calicorr.routereflector.plan.Planner;
import dev.calicorr.testsupport.ControlPlane;
import dev.calicorr.testsupport.RealControlPlane;
import dev.calicorr.testsupport.SimulatedNodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code plan} against a real apiserver, before and after the real controller has converged. */
@RealControlPlane
class PlanCommandIT {
    private static final String NL = System.lineSeparator();
    private static final ObjectMapper JSON = new ObjectMapper();

    private Host host;

    @AfterEach
    void stop() {
        if (host != null) {
            host.close();
        }
    }

    @Test
    void diffShowsTheControllersWritesUntilItHasConvergedAndThenNothing(ControlPlane cp) throws Exception {
        new SimulatedNodes(cp.adminClient()).createMany("node", 0, 60, ZONES);
        Map<String, Object> section = Map.of("ratio", 0.1, "removalDelay", "2s");
        createConfiguration(cp, section);
        String kubeconfig = cp.adminKubeconfig().toString();

        Run before = run("plan", "--kubeconfig", kubeconfig, "--diff");

        Plan expected = Planner.plan(observed(cp), RouteReflectorConfigParser.parse(section, Map.of()).config(),
                Instant.now());
        assertThat(before.exit()).isEqualTo(1);
        assertThat(before.err()).isEmpty();
        assertThat(before.out()).startsWith("Decisions: 6" + NL)
                .contains("Changes: " + expected.steps().size() + " write(s) (")
                .contains("), in the order the controller applies them");
        for (Decision decision : expected.decisions()) {
            assertThat(before.out()).contains(NL + "  " + decision + NL);
        }
        JsonNode planned = JSON.readTree(run("plan", "--kubeconfig", kubeconfig, "-o", "json").out());
        assertThat(planned.get("source").asText()).isEqualTo("the live cluster at " + cp.url());
        assertThat(planned.get("config").get("source").asText()).isEqualTo("KubeControllersConfiguration/default");
        assertThat(planned.get("config").get("effective").get("ratio").asDouble()).isEqualTo(0.1);
        assertThat(planned.get("nodes").get("total").asInt()).isEqualTo(60);
        assertThat(planned.get("sessions").get("total").asLong()).isEqualTo(54 * 3 + 15);

        host = newHost(cp, new RouteReflectorPlugin(), "it", Duration.ofSeconds(4));
        host.start();
        ClusterSnapshot converged = awaitTopology(cp, section, 6);

        Run after = run("plan", "--kubeconfig", kubeconfig, "--diff");
        assertThat(after.exit()).isZero();
        assertThat(after.out()).isEqualTo("No changes: the cluster already has the topology of this plan "
                + "(6 route reflector(s), " + converged.ownedPeers().size() + " BGPPeer(s))." + NL
                + "Warnings: none" + NL);
        // what the plan shows is what the controller made: the same RRs, cluster IDs and BGPPeers
        JsonNode live = JSON.readTree(run("plan", "--kubeconfig", kubeconfig, "-o", "json").out());
        Map<String, String> liveIds = new TreeMap<>();
        for (NodeFacts node : converged.nodes()) {
            if (node.annotations().containsKey(Names.CLUSTER_ID_ANNOTATION)) {
                liveIds.put(node.name(), node.annotations().get(Names.CLUSTER_ID_ANNOTATION));
            }
        }
        Map<String, String> shownIds = new TreeMap<>();
        live.get("reflectors").forEach(rr -> shownIds.put(rr.get("name").asText(), rr.get("clusterId").asText()));
        assertThat(shownIds).hasSize(6).isEqualTo(liveIds);
        assertThat(StreamSupport.stream(live.get("bgpPeers").get("items").spliterator(), false)
                .map(peer -> new PeerFacts(peer.get("name").asText(), peer.get("nodeSelector").asText(),
                        peer.get("peerSelector").asText())).toList())
                .containsExactlyInAnyOrderElementsOf(converged.ownedPeers());
        assertThat(live.get("changes").get("writes").asInt()).isZero();
        assertThat(live.get("sessions")).isEqualTo(planned.get("sessions"));
    }

    @Test
    void aBadLiveConfigurationIsOneLineAndExitCode2AndAConfigFileStandsInForIt(ControlPlane cp) throws Exception {
        new SimulatedNodes(cp.adminClient()).createMany("node", 0, 12, ZONES);
        createConfiguration(cp, Map.of("nodeSelector", "rr-pool ==")); // the CRD's schema cannot parse selectors
        String kubeconfig = cp.adminKubeconfig().toString();

        Run bad = run("plan", "--kubeconfig", kubeconfig, "--diff");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.out()).isEmpty();
        assertThat(bad.err()).startsWith("plan: invalid configuration: spec.controllers.routereflector.nodeSelector: ")
                .hasLineCount(1);

        Path file = Files.createTempFile("routereflector", ".yaml");
        try {
            Files.writeString(file, "min: 2\nmax: 3\n");
            Run fallback = run("plan", "--kubeconfig", kubeconfig, "--config", file.toString(), "--diff");
            assertThat(fallback.exit()).isEqualTo(1);
            assertThat(fallback.out()).startsWith("Decisions: 2" + NL); // min 2 (the defaults would give 3)
        } finally {
            Files.delete(file);
        }
    }

    @Test
    void withoutKubeControllersConfigurationTheDefaultsAreUsedAndSaidSo(ControlPlane cp) throws Exception {
        new SimulatedNodes(cp.adminClient()).createMany("node", 0, 9, ZONES);

        Run run = run("plan", "--kubeconfig", cp.adminKubeconfig().toString(), "-o", "json");

        assertThat(run.exit()).isZero();
        JsonNode json = JSON.readTree(run.out());
        assertThat(json.get("config").get("source").asText())
                .isEqualTo("defaults (no KubeControllersConfiguration/default)");
        assertThat(json.get("nodes").get("reflectors").asInt()).isEqualTo(3);
    }
}
