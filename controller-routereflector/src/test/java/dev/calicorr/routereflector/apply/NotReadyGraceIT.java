package dev.calicorr.routereflector.apply;

import static dev.calicorr.routereflector.apply.LiveChecks.RR;
import static dev.calicorr.routereflector.apply.LiveChecks.ZONES;
import static dev.calicorr.routereflector.apply.LiveChecks.await;
import static dev.calicorr.routereflector.apply.LiveChecks.awaitTopology;
import static dev.calicorr.routereflector.apply.LiveChecks.awaitTwoMoreReconciles;
import static dev.calicorr.routereflector.apply.LiveChecks.createConfiguration;
import static dev.calicorr.routereflector.apply.LiveChecks.newHost;
import static dev.calicorr.routereflector.apply.LiveChecks.observed;
import static dev.calicorr.routereflector.apply.LiveChecks.reflectorNames;
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
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** NotReady is not BGP down: a route reflector's blip costs no write, a lasting NotReady replaces it. */
@RealControlPlane
class NotReadyGraceIT {
    private Host host;

    @AfterEach
    void stop() {
        if (host != null) {
            host.close();
        }
    }

    private void start(ControlPlane cp, Map<String, Object> section) throws Exception {
        new SimulatedNodes(cp.adminClient()).createMany("node", 0, 9, ZONES);
        createConfiguration(cp, section);
        host = newHost(cp, new RouteReflectorPlugin(), "it", Duration.ofSeconds(4));
        host.start();
        awaitTopology(cp, section, 3);
    }

    @Test
    void aRouteReflectorThatBlipsNotReadyKeepsItsRoleAndCostsNoWrite(ControlPlane cp) throws Exception {
        Map<String, Object> section = Map.of("removalDelay", "1s", "sessionStuckAfter", "1s");
        start(cp, section); // notReadyGrace: 60s by default
        SimulatedNodes nodes = new SimulatedNodes(cp.adminClient());
        String rr = reflectorNames(observed(cp)).stream().sorted().findFirst().orElseThrow();
        int from = cp.controllerWrites().size();

        nodes.setReady(rr, false);
        awaitTwoMoreReconciles(host, cp);
        nodes.setReady(rr, true);
        awaitTwoMoreReconciles(host, cp);

        List<AuditedWrite> all = cp.controllerWrites();
        assertThat(all.subList(from, all.size())).filteredOn(w -> Set.of("nodes", "bgppeers").contains(w.resource())
                && !w.dryRun()).isEmpty();
        assertThat(reflectorNames(observed(cp))).contains(rr).hasSize(3);
    }

    @Test
    void aRouteReflectorNotReadyBeyondItsGraceIsReplaced(ControlPlane cp) throws Exception {
        Map<String, Object> section = Map.of("removalDelay", "1s", "sessionStuckAfter", "1s", "notReadyGrace", "2s");
        start(cp, section);
        String rr = reflectorNames(observed(cp)).stream().sorted().findFirst().orElseThrow();

        new SimulatedNodes(cp.adminClient()).setReady(rr, false); // and nothing else happens: the grace's recheck acts
        await("the NotReady route reflector replaced after its grace", () -> observed(cp).nodes().stream()
                .filter(n -> n.name().equals(rr)).noneMatch(n -> n.labels().containsKey(RR)));
        awaitTopology(cp, section, 3);
    }
}
