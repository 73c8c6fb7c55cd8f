package dev.calicorr.routereflector.apply;

import static dev.calicorr.routereflector.apply.LiveChecks.ZONES;
import static dev.calicorr.routereflector.apply.LiveChecks.await;
import static dev.calicorr.routereflector.apply.LiveChecks.awaitConverged;
import static dev.calicorr.routereflector.apply.LiveChecks.createConfiguration;
import static dev.calicorr.routereflector.apply.LiveChecks.newHost;
import static dev.calicorr.routereflector.apply.LiveChecks.reconciles;
import static org.assertj.core.api.Assertions.assertThat;

import dev.calicorr.core.runtime.Host;
import dev.calicorr.routereflector.RouteReflectorPlugin;
import dev.calicorr.testsupport.ControlPlane;
import dev.calicorr.testsupport.ProcessResult;
import dev.calicorr.testsupport.RealControlPlane;
import dev.calicorr.testsupport.SimulatedNodes;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The informers LIST in pages: the apiserver counts the node LISTs it served (its own
 * {@code apiserver_request_total}); 1,001 nodes at 500 a page are three of them, where one LIST
 * would hold every full node object in the controller's heap at once.
 */
@RealControlPlane
class PagedListIT {
    private static final Map<String, Object> SECTION = Map.of("removalDelay", "1s");

    private Host host;

    @AfterEach
    void stop() {
        if (host != null) {
            host.close();
        }
    }

    @Test
    void theNodeInformerListsInPagesAndSyncsEveryNode(ControlPlane cp) throws Exception {
        new SimulatedNodes(cp.adminClient()).createMany("node", 0, 1001, ZONES);
        createConfiguration(cp, SECTION);
        double before = nodeLists(cp);

        host = newHost(cp, new RouteReflectorPlugin(), "it", Duration.ofSeconds(4));
        host.start();
        await("the first reconcile (after the informers' sync)", () -> reconciles(host) >= 1);
        double lists = nodeLists(cp) - before; // before the LISTs of the checks below
        // converged as a plan over a fresh LIST sees it: every node was in the controller's cache
        awaitConverged(cp, SECTION, "1001 nodes");

        assertThat(lists).as("node LISTs served by the apiserver until the first reconcile").isEqualTo(3);
    }

    /** The apiserver's count of the node LISTs it has served, from its /metrics. */
    private static double nodeLists(ControlPlane cp) {
        ProcessResult metrics = cp.kubectl("get", "--raw", "/metrics");
        assertThat(metrics.exitCode()).as(metrics.stderr()).isZero();
        return metrics.stdout().lines()
                .filter(line -> line.startsWith("apiserver_request_total{") && line.contains("resource=\"nodes\"")
                        && line.contains("verb=\"LIST\""))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .sum();
    }
}
