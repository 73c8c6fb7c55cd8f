package dev.calicorr.routereflector.apply;

import static dev.calicorr.routereflector.apply.LiveChecks.ZONES;
import static dev.calicorr.routereflector.apply.LiveChecks.await;
import static dev.calicorr.routereflector.apply.LiveChecks.awaitConverged;
import static dev.calicorr.routereflector.apply.LiveChecks.awaitTopology;
import static dev.calicorr.routereflector.apply.LiveChecks.configs;
import static dev.calicorr.routereflector.apply.LiveChecks.newHost;
import static dev.calicorr.routereflector.apply.LiveChecks.reconciles;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.calicorr.core.runtime.Host;
import dev.calicorr.core.runtime.HostOptions;
import dev.calicorr.core.runtime.HostStartException;
import dev.calicorr.routereflector.RouteReflectorPlugin;
import dev.calicorr.testsupport.AuditedWrite;
import dev.calicorr.testsupport.ControlPlane;
import dev.calicorr.testsupport.RealControlPlane;
import dev.calicorr.testsupport.SimulatedNodes;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What the host must not write, counted in the apiserver's audit log. */
@RealControlPlane
class NoWritesIT {
    private static final Duration LEASE = Duration.ofSeconds(4);

    private Host host;

    @AfterEach
    void stop() {
        if (host != null) {
            host.close();
        }
    }

    private int writesBefore;

    @BeforeEach
    void countEarlierWrites(ControlPlane cp) {
        writesBefore = cp.controllerWrites().size(); // the audit log lives as long as the control plane
    }

    /** The controller's writes in this test that stored something (server-side dry runs store nothing). */
    private List<AuditedWrite> storedWrites(ControlPlane cp) {
        List<AuditedWrite> all = cp.controllerWrites();
        return all.subList(writesBefore, all.size()).stream().filter(write -> !write.dryRun()).toList();
    }

    @Test
    void aDryRunWithoutKubeControllersConfigurationWritesNothingAtAll(ControlPlane cp) throws Exception {
        new SimulatedNodes(cp.adminClient()).createMany("node", 0, 9, ZONES);
        try (CapturedLog log = new CapturedLog()) {
            host = newHost(cp, cp.controllerClient(), cp.newControllerClient(), new RouteReflectorPlugin(), "it", LEASE,
                    Map.of(), Map.of(), true);
            host.start();
            await("a planned reconcile", () -> reconciles(host) >= 1
                    && log.lines().stream().anyMatch(line -> line.contains("dry-run: would")));
        }
        host.close();
        assertThat(configs(cp).get("default").getHttpStatusCode()).as("KubeControllersConfiguration/default").isEqualTo(404);
        assertThat(storedWrites(cp)).isEmpty();
    }

    @Test
    void besideUpstreamAMissingDefaultIsNotCreatedAndIsFollowedOnceUpstreamCreatesIt(ControlPlane cp) throws Exception {
        new SimulatedNodes(cp.adminClient()).createMany("node", 0, 9, ZONES);
        host = newHost(cp, new RouteReflectorPlugin(), "it", LEASE);
        host.start();
        awaitConverged(cp, Map.of(), "on the defaults and the environment");
        assertThat(configs(cp).get("default").getHttpStatusCode()).isEqualTo(404);

        LiveChecks.createConfiguration(cp, Map.of("min", 5)); // as upstream kube-controllers would
        awaitTopology(cp, Map.of("min", 5), 5);
        assertThat(storedWrites(cp)).noneMatch(write -> "kubecontrollersconfigurations".equals(write.resource())
                && "create".equals(write.verb()));
    }

    @Test
    void anInvalidEnabledControllersStopsTheStartBeforeAnyWrite(ControlPlane cp) {
        HostOptions options = HostOptions.defaults(Map.of("ENABLED_CONTROLLERS", "routereflector,nodes"), "it")
                .withHealth("127.0.0.1", 0).withModes(false, true);
        host = new Host(options, cp.controllerClient(), cp.newControllerClient(), List.of(new RouteReflectorPlugin()),
                () -> { });
        assertThatThrownBy(host::start).isInstanceOf(HostStartException.class)
                .hasMessage("cannot run: ENABLED_CONTROLLERS: Invalid controller 'nodes' (this process has: routereflector)");
        assertThat(configs(cp).get("default").getHttpStatusCode()).isEqualTo(404);
        assertThat(storedWrites(cp)).isEmpty();
    }
}
