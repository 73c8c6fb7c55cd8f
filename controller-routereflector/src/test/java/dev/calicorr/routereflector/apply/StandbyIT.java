package dev.calicorr.routereflector.apply;

import static dev.calicorr.routereflector.apply.LiveChecks.ZONES;
import static dev.calicorr.routereflector.apply.LiveChecks.await;
import static dev.calicorr.routereflector.apply.LiveChecks.awaitTopology;
import static dev.calicorr.routereflector.apply.LiveChecks.createConfiguration;
import static dev.calicorr.routereflector.apply.LiveChecks.editSection;
import static dev.calicorr.routereflector.apply.LiveChecks.events;
import static dev.calicorr.routereflector.apply.LiveChecks.newHost;

import dev.calicorr.core.runtime.Host;
import dev.calicorr.routereflector.RouteReflectorPlugin;
import dev.calicorr.testsupport.ControlPlane;
import dev.calicorr.testsupport.RealControlPlane;
import dev.calicorr.testsupport.SimulatedNodes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A standby whose controller was created while it stood by takes over and converges. */
@RealControlPlane
class StandbyIT {
    private final List<Host> hosts = new ArrayList<>();

    @AfterEach
    void stop() {
        hosts.forEach(Host::close);
    }

    private Host start(ControlPlane cp, String identity) throws Exception {
        Host host = newHost(cp, new RouteReflectorPlugin(), identity, Duration.ofSeconds(4));
        hosts.add(host);
        host.start();
        return host;
    }

    @Test
    void aStandbyThatGotItsFirstValidConfigurationWhileStandingByConvergesOnceItLeads(ControlPlane cp)
            throws Exception {
        SimulatedNodes nodes = new SimulatedNodes(cp.adminClient());
        nodes.createMany("node", 0, 9, ZONES);
        createConfiguration(cp, Map.of("nodeSelector", "rack == 'r1' &&")); // no controller can be made of it
        Host first = start(cp, "first");
        await("the first host leads", first::isLeader);
        Host second = start(cp, "second");
        await("the rejection", () -> events(cp).stream().anyMatch(e -> "InvalidConfiguration".equals(e.getReason())));

        Map<String, Object> section = Map.of("nodeSelector", "all()", "removalDelay", "1s");
        editSection(cp, "{\"nodeSelector\":\"all()\",\"removalDelay\":\"1s\"}"); // both create their controller now
        awaitTopology(cp, section, 3);
        first.close();
        hosts.remove(first);
        await("the second host leads", second::isLeader);

        // a change only the new leader can follow: a route reflector cordoned is replaced
        String cordoned = LiveChecks.reflectorNames(LiveChecks.observed(cp)).iterator().next();
        nodes.cordon(cordoned, true);
        await("the cordoned route reflector replaced", () -> !LiveChecks.reflectorNames(LiveChecks.observed(cp))
                .contains(cordoned));
        awaitTopology(cp, section, 3);
    }
}
