package dev.calicorr.routereflector.apply;

import static dev.calicorr.routereflector.apply.LiveChecks.ZONES;
import static dev.calicorr.routereflector.apply.LiveChecks.await;
import static dev.calicorr.routereflector.apply.LiveChecks.awaitTopology;
import static dev.calicorr.routereflector.apply.LiveChecks.awaitTwoMoreReconciles;
import static dev.calicorr.routereflector.apply.LiveChecks.configs;
import static dev.calicorr.routereflector.apply.LiveChecks.createConfiguration;
import static dev.calicorr.routereflector.apply.LiveChecks.gauge;
import static dev.calicorr.routereflector.apply.LiveChecks.newHost;
import static org.assertj.core.api.Assertions.assertThat;

import dev.calicorr.core.runtime.Host;
import dev.calicorr.routereflector.RouteReflectorPlugin;
import dev.calicorr.testsupport.AuditedWrite;
import dev.calicorr.testsupport.ControlPlane;
import dev.calicorr.testsupport.RealControlPlane;
import dev.calicorr.testsupport.SimulatedNodes;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The topology annotation of {@code KubeControllersConfiguration/default} is written only when the topology changes. */
@RealControlPlane
class TopologyReportIT {
    private Host host;

    @AfterEach
    void stop() {
        if (host != null) {
            host.close();
        }
    }

    /** The writes of {@code KubeControllersConfiguration/default} among the controller's writes since {@code from}. */
    private static List<AuditedWrite> configurationWritesSince(ControlPlane cp, int from) {
        List<AuditedWrite> all = cp.controllerWrites();
        return all.subList(from, all.size()).stream().filter(w -> "kubecontrollersconfigurations".equals(w.resource())
                && !w.dryRun()).toList();
    }

    private static String report(ControlPlane cp) {
        return configs(cp).get("default").getObject().getMetadata().getAnnotations().get(TopologyReport.ANNOTATION);
    }

    @Test
    void nodeEventsThatLeaveTheTopologyAsItIsDoNotWriteTheConfiguration(ControlPlane cp) throws Exception {
        SimulatedNodes nodes = new SimulatedNodes(cp.adminClient());
        nodes.createMany("node", 0, 9, ZONES);
        Map<String, Object> section = Map.of("removalDelay", "1s");
        createConfiguration(cp, section);
        host = newHost(cp, new RouteReflectorPlugin(), "it", Duration.ofSeconds(4));
        host.start();
        awaitTopology(cp, section, 3);
        await("the topology report", () -> report(cp) != null && report(cp).contains("\"routeReflectors\":3"));
        int from = cp.controllerWrites().size();

        // clients come and go, a client is cordoned and uncordoned: the RRs and BGPPeers stay as they are
        nodes.createMany("node", 9, 3, ZONES);
        await("three more eligible nodes counted", () -> Double.valueOf(12).equals(gauge(host, "calico_rr_eligible_nodes")));
        awaitTopology(cp, section, 3);
        String client = nodes.list().stream().map(n -> n.getMetadata().getName())
                .filter(name -> !LiveChecks.reflectorNames(LiveChecks.observed(cp)).contains(name)).findFirst()
                .orElseThrow();
        nodes.cordon(client, true);
        awaitTwoMoreReconciles(host, cp);
        nodes.cordon(client, false);
        nodes.delete("node-011");
        await("one eligible node fewer counted", () -> Double.valueOf(11).equals(gauge(host, "calico_rr_eligible_nodes")));
        awaitTwoMoreReconciles(host, cp);

        assertThat(configurationWritesSince(cp, from)).isEmpty();
        assertThat(report(cp)).contains("\"routeReflectors\":3");
    }
}
