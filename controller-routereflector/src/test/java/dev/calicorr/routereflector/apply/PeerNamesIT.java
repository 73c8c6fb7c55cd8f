package dev.calicorr.routereflector.apply;

import static dev.calicorr.routereflector.apply.LiveChecks.ZONES;
import static dev.calicorr.routereflector.apply.LiveChecks.await;
import static dev.calicorr.routereflector.apply.LiveChecks.awaitTopology;
import static dev.calicorr.routereflector.apply.LiveChecks.createConfiguration;
import static dev.calicorr.routereflector.apply.LiveChecks.events;
import static dev.calicorr.routereflector.apply.LiveChecks.newHost;
import static dev.calicorr.routereflector.apply.LiveChecks.peers;
import static org.assertj.core.api.Assertions.assertThat;

import dev.calicorr.core.runtime.Host;
import dev.calicorr.routereflector.RouteReflectorPlugin;
import dev.calicorr.routereflector.kube.BgpPeer;
import dev.calicorr.routereflector.model.ClusterSnapshot;
import dev.calicorr.routereflector.model.PeerFacts;
import dev.calicorr.routereflector.sim.Bgp;
import dev.calicorr.testsupport.ControlPlane;
import dev.calicorr.testsupport.RealControlPlane;
import dev.calicorr.testsupport.SimulatedNodes;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A BGPPeer of the user's that has a name our topology uses. */
@RealControlPlane
class PeerNamesIT {
    private Host host;

    @AfterEach
    void stop() {
        if (host != null) {
            host.close();
        }
    }

    @Test
    void aUsersPeerWithOurNameIsLeftAloneReportedAndTheTopologyServesUnderAnotherName(ControlPlane cp)
            throws Exception {
        new SimulatedNodes(cp.adminClient()).createMany("node", 0, 30, ZONES);
        BgpPeer users = new BgpPeer(new V1ObjectMeta().name("rrc-mesh"), new BgpPeer.Spec("has(user-peering)",
                "has(user-peering)"));
        assertThat(peers(cp).create(users).isSuccess()).isTrue();
        Map<String, Object> section = Map.of("ratio", 0.1, "removalDelay", "1s");
        createConfiguration(cp, section);
        try (CapturedLog log = new CapturedLog()) {
            host = newHost(cp, new RouteReflectorPlugin(), "it", Duration.ofSeconds(4));
            host.start();
            ClusterSnapshot converged = awaitTopology(cp, section, 3);

            assertThat(converged.ownedPeers()).extracting(PeerFacts::name).contains("rrc-mesh");
            assertThat(new Bgp(converged.nodes(), converged.ownedPeers(), false, Set.of()).unreachable()).isEmpty();
            BgpPeer renamed = peers(cp).get("rrc-mesh" + PeerNames.RENAMED_SUFFIX).getObject();
            assertThat(renamed.getMetadata().getAnnotations()).containsEntry(PeerNames.PLANNED_NAME_ANNOTATION,
                    "rrc-mesh");
            BgpPeer left = peers(cp).get("rrc-mesh").getObject();
            assertThat(StepExecutor.isOwned(left)).isFalse();
            assertThat(left.getSpec().getNodeSelector()).isEqualTo("has(user-peering)");
            await("the Event on the user's BGPPeer", () -> events(cp).stream().anyMatch(e ->
                    "BGPPeerNameTaken".equals(e.getReason()) && "rrc-mesh".equals(e.getInvolvedObject().getName())));
            assertThat(log.lines()).filteredOn(line -> line.contains("reason=name-taken")).singleElement()
                    .satisfies(line -> assertThat(line).startsWith("WARN").contains("BGPPeer rrc-mesh is not managed")
                            .contains("rrc-mesh" + PeerNames.RENAMED_SUFFIX));
            assertThat(LiveChecks.counter(host, "calico_rr_reconcile_errors_total")).isZero();
        }
    }
}
