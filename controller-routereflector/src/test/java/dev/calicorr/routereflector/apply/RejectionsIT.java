package dev.calicorr.routereflector.apply;

import static dev.calicorr.routereflector.apply.LiveChecks.ZONES;
import static dev.calicorr.routereflector.apply.LiveChecks.await;
import static dev.calicorr.routereflector.apply.LiveChecks.awaitTopology;
import static dev.calicorr.routereflector.apply.LiveChecks.configs;
import static dev.calicorr.routereflector.apply.LiveChecks.createConfiguration;
import static dev.calicorr.routereflector.apply.LiveChecks.editSection;
import static dev.calicorr.routereflector.apply.LiveChecks.events;
import static dev.calicorr.routereflector.apply.LiveChecks.newHost;
import static org.assertj.core.api.Assertions.assertThat;

import dev.calicorr.core.runtime.Host;
import dev.calicorr.routereflector.RouteReflectorPlugin;
import dev.calicorr.testsupport.ControlPlane;
import dev.calicorr.testsupport.RealControlPlane;
import dev.calicorr.testsupport.SimulatedNodes;
import io.kubernetes.client.openapi.models.CoreV1Event;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Every rejected edit of the configuration is told with its own Event. */
@RealControlPlane
class RejectionsIT {
    private Host host;

    @AfterEach
    void stop() {
        if (host != null) {
            host.close();
        }
    }

    private static List<CoreV1Event> rejections(ControlPlane cp) {
        return events(cp).stream().filter(e -> "InvalidConfiguration".equals(e.getReason())).toList();
    }

    private static long generation(ControlPlane cp) {
        return configs(cp).get("default").getObject().getMetadata().getGeneration();
    }

    @Test
    void everyRejectedEditGetsItsEventAlsoPastTenAndAlsoWithTheSameProblem(ControlPlane cp) throws Exception {
        new SimulatedNodes(cp.adminClient()).createMany("node", 0, 6, ZONES);
        Map<String, Object> section = Map.of("removalDelay", "1s");
        createConfiguration(cp, section);
        host = newHost(cp, new RouteReflectorPlugin(), "it", Duration.ofSeconds(4));
        host.start();
        awaitTopology(cp, section, 3);

        // selectors only the controller can judge (the CRD cannot): each edit its own problem
        for (int i = 1; i <= 12; i++) {
            editSection(cp, "{\"nodeSelector\":\"rack == 'r" + i + "' &&\"}");
            long edit = generation(cp);
            int seen = i;
            await("the Event of rejected edit " + i, () -> rejections(cp).size() == seen
                    && rejections(cp).stream().anyMatch(e -> e.getMessage().contains("generation=" + edit)));
        }
        // an edit of another field while the selector is still the same bad one: told again
        editSection(cp, "{\"removalDelay\":\"2s\"}");
        long edit = generation(cp);
        await("the Event of an edit that keeps the same problem", () -> rejections(cp).stream()
                .anyMatch(e -> e.getMessage().contains("generation=" + edit)));

        assertThat(rejections(cp)).hasSize(13).allSatisfy(e -> {
            assertThat(e.getMessage()).startsWith("Rejected spec.controllers.routereflector.nodeSelector")
                    .doesNotContain("combined from similar events");
            assertThat(e.getCount()).isEqualTo(1);
        });
    }
}
