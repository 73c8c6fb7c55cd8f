package dev.calicorr.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.calicorr.core.kube.ConfigurationStore;
import dev.calicorr.core.kube.KubeControllersConfiguration;
import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.config.RouteReflectorConfigParser;
import dev.calicorr.routereflector.kube.LiveCluster;
import dev.calicorr.routereflector.model.ClusterSnapshot;
import dev.calicorr.routereflector.model.Names;
import dev.calicorr.routereflector.plan.Planner;
import dev.calicorr.routereflector.sim.Bgp;
import dev.calicorr.testsupport.ControlPlane;
import dev.calicorr.testsupport.RealControlPlane;
import dev.calicorr.testsupport.SimulatedNodes;
import io.kubernetes.client.openapi.apis.CoordinationV1Api;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * Two replicas of the runnable jar, as the Deployment runs them, and the leader killed with
 * SIGKILL in the middle of applying a plan: no Lease release, no clean stop.
 */
@RealControlPlane
class ProcessFailoverIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    private static final List<String> ZONES = List.of("a", "b", "c");

    @Test
    void killingTheLeaderMidApplyLetsTheStandbyFinishWithNothingDuplicatedOrLost(ControlPlane cp) throws Exception {
        Map<String, Object> section = Map.of("ratio", 0.03, "removalDelay", "2s");
        RouteReflectorConfig config = RouteReflectorConfigParser.parse(section, Map.of()).config();
        ConfigurationStore.api(cp.adminClient()).create(new KubeControllersConfiguration(
                new V1ObjectMeta().name("default"), Map.of("prometheusMetricsPort", 0,
                        "controllers", Map.of("routereflector", section)))).throwsApiException();
        new SimulatedNodes(cp.adminClient()).createMany("node", 0, 300, ZONES);
        int mark = cp.controllerWrites().size();

        Map<String, Process> replicas = new HashMap<>();
        try {
            replicas.put("replica-a", start(cp, "replica-a"));
            replicas.put("replica-b", start(cp, "replica-b"));
            await("the leader is applying", () -> cp.controllerWrites().stream().skip(mark)
                    .filter(w -> "nodes".equals(w.resource())).count() >= 20);
            String leader = holder(cp);
            replicas.get(leader).destroyForcibly().waitFor();
            assertThat(Planner.plan(LiveCluster.read(cp.adminClient()), config, Instant.now()).steps())
                    .as("killed mid-apply").isNotEmpty();

            String standby = leader.equals("replica-a") ? "replica-b" : "replica-a";
            await("the standby takes the Lease once it expires", () -> standby.equals(holder(cp)));
            await("the standby converges", () -> {
                ClusterSnapshot now = LiveCluster.read(cp.adminClient());
                return Planner.plan(now, config, Instant.now()).steps().isEmpty();
            });
            ClusterSnapshot converged = LiveCluster.read(cp.adminClient());
            assertThat(converged.ownedPeers())
                    .containsExactlyInAnyOrderElementsOf(Planner.plan(converged, config, Instant.now()).desiredPeers());
            assertThat(converged.nodes().stream().map(n -> n.annotations().get(Names.CLUSTER_ID_ANNOTATION))
                    .filter(id -> id != null)).doesNotHaveDuplicates().hasSize(9);
            assertThat(new Bgp(converged.nodes(), converged.ownedPeers(), false, Set.of()).unreachable()).isEmpty();
        } finally {
            replicas.values().forEach(Process::destroyForcibly);
        }
    }

    private static Process start(ControlPlane cp, String identity) throws Exception {
        Path jar = cp.repo().resolve("deploy/target/kube-controllers.jar");
        ProcessBuilder builder = new ProcessBuilder(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar.toString(), "--kubeconfig", cp.controllerKubeconfig().toString(),
                "--health-address", "127.0.0.1", "--health-port", "0", "--identity", identity)
                .redirectErrorStream(true)
                .redirectOutput(cp.workDir().resolve(identity + ".log").toFile());
        builder.environment().put("ENABLED_CONTROLLERS", "routereflector");
        builder.environment().put("POD_NAMESPACE", "kube-system");
        return builder.start();
    }

    private static String holder(ControlPlane cp) {
        try {
            return new CoordinationV1Api(cp.adminClient()).readNamespacedLease("calico-rr-controller", "kube-system")
                    .execute().getSpec().getHolderIdentity();
        } catch (Exception e) {
            return "";
        }
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        Instant deadline = Instant.now().plus(TIMEOUT);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("timed out after " + TIMEOUT + " waiting until " + what);
            }
            Thread.sleep(100);
        }
    }
}
