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

import dev.calicorr.core.config.InvalidConfigException;
import dev.calicorr.core.plugin.ControllerContext;
import dev.calicorr.core.plugin.ControllerPlugin;
import dev.calicorr.core.plugin.ManagedController;
import dev.calicorr.core.plugin.ParsedConfig;
import dev.calicorr.core.runtime.Host;
import dev.calicorr.routereflector.RouteReflectorPlugin;
import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.model.Names;
import dev.calicorr.routereflector.model.NodeFacts;
import dev.calicorr.testsupport.ControlPlane;
import dev.calicorr.testsupport.RealControlPlane;
import dev.calicorr.testsupport.SimulatedNodes;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** removalDelay between replicas whose clocks disagree. */
@RealControlPlane
class ClockSkewIT {
    private static final Duration LEASE = Duration.ofSeconds(4);
    private final List<Host> hosts = new ArrayList<>();

    @AfterEach
    void stop() {
        hosts.forEach(Host::close);
    }

    @Test
    void aNewLeaderWhoseClockIsAnHourAheadStillWaitsRemovalDelayBeforeDemoting(ControlPlane cp) throws Exception {
        SimulatedNodes nodes = new SimulatedNodes(cp.adminClient());
        nodes.createMany("node", 0, 9, ZONES);
        // session checks off after 1s without reports (no calico-node here): removalDelay alone decides
        Map<String, Object> section = Map.of("removalDelay", "10m", "sessionStuckAfter", "1s");
        createConfiguration(cp, section);
        Host first = newHost(cp, new RouteReflectorPlugin(), "first", LEASE);
        hosts.add(first);
        first.start();
        awaitTopology(cp, section, 3);

        String old = reflectorNames(observed(cp)).stream().sorted().findFirst().orElseThrow();
        nodes.cordon(old, true);
        await("a replacement serving beside the cordoned route reflector", () -> reflectorNames(observed(cp)).size() == 4);
        first.close();
        hosts.remove(first);

        Host ahead = newHost(cp, new SkewedPlugin(Duration.ofHours(1)), "ahead", LEASE);
        hosts.add(ahead);
        ahead.start();
        await("the skewed host leads", ahead::isLeader);
        awaitTwoMoreReconciles(ahead, cp);

        // by its own clock the replacement has served an hour, but it saw it serve only now
        NodeFacts kept = observed(cp).nodes().stream().filter(n -> n.name().equals(old)).findFirst().orElseThrow();
        assertThat(kept.labels()).containsKey(RR);
        assertThat(kept.annotations()).containsKey(Names.CLUSTER_ID_ANNOTATION);
    }

    /** The route reflector plugin on a replica whose wall clock is off by {@code offset}. */
    private static final class SkewedPlugin implements ControllerPlugin<RouteReflectorConfig> {
        private final RouteReflectorPlugin plugin = new RouteReflectorPlugin();
        private final Duration offset;

        SkewedPlugin(Duration offset) {
            this.offset = offset;
        }

        @Override
        public String name() {
            return plugin.name();
        }

        @Override
        public ParsedConfig<RouteReflectorConfig> parseConfig(Map<String, Object> section, Map<String, String> env)
                throws InvalidConfigException {
            return plugin.parseConfig(section, env);
        }

        @Override
        public ManagedController<RouteReflectorConfig> create(ControllerContext context, RouteReflectorConfig config) {
            return new RouteReflectorController(context, config, Clock.offset(Clock.systemUTC(), offset));
        }
    }
}
