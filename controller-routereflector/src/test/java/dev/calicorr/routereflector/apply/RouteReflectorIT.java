package dev.calicorr.routereflector.apply;

import static dev.calicorr.routereflector.apply.LiveChecks.RR;
import static dev.calicorr.routereflector.apply.LiveChecks.ZONES;
import static dev.calicorr.routereflector.apply.LiveChecks.await;
import static dev.calicorr.routereflector.apply.LiveChecks.awaitTopology;
import static dev.calicorr.routereflector.apply.LiveChecks.configs;
import static dev.calicorr.routereflector.apply.LiveChecks.counter;
import static dev.calicorr.routereflector.apply.LiveChecks.createConfiguration;
import static dev.calicorr.routereflector.apply.LiveChecks.editSection;
import static dev.calicorr.routereflector.apply.LiveChecks.events;
import static dev.calicorr.routereflector.apply.LiveChecks.newHost;
import static dev.calicorr.routereflector.apply.LiveChecks.observed;
import static dev.calicorr.routereflector.apply.LiveChecks.peers;
import static dev.calicorr.routereflector.apply.LiveChecks.reflectorNames;
import static dev.calicorr.routereflector.apply.LiveChecks.reflectorsPerZone;
import static org.assertj.core.api.Assertions.assertThat;

import dev.calicorr.core.kube.ConfigurationStore;
import dev.calicorr.core.kube.KddConfigurationStore;
import dev.calicorr.core.runtime.Host;
import dev.calicorr.routereflector.RouteReflectorPlugin;
import dev.calicorr.routereflector.cli.Sessions;
import dev.calicorr.routereflector.kube.BgpPeer;
import dev.calicorr.routereflector.model.ClusterSnapshot;
import dev.calicorr.routereflector.model.Names;
import dev.calicorr.routereflector.model.NodeFacts;
import dev.calicorr.routereflector.model.PeerFacts;
import dev.calicorr.routereflector.sim.Bgp;
import dev.calicorr.testsupport.ControlPlane;
import dev.calicorr.testsupport.RealControlPlane;
import dev.calicorr.testsupport.SimulatedNodes;
import io.kubernetes.client.custom.V1Patch;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The route reflector controller in the host, against the real apiserver, as the controller's RBAC identity. */
@RealControlPlane
class RouteReflectorIT {
    private static final Duration LEASE = Duration.ofSeconds(4);

    private Host host;

    @AfterEach
    void stop() {
        if (host != null) {
            host.close();
        }
    }

    private void startController(ControlPlane cp, Map<String, Object> section) throws Exception {
        startController(cp, section, false);
    }

    private void startController(ControlPlane cp, Map<String, Object> section, boolean dryRun) throws Exception {
        startController(cp, section, Map.of(), Map.of(), dryRun);
    }

    private void startController(ControlPlane cp, Map<String, Object> section, Map<String, String> env,
            Map<String, Object> fileSpec, boolean dryRun) throws Exception {
        createConfiguration(cp, section);
        host = newHost(cp, cp.controllerClient(), cp.newControllerClient(), new RouteReflectorPlugin(), "it", LEASE, env,
                fileSpec, dryRun);
        host.start();
    }

    @Test
    void aSixtyNodeThreeZoneClusterConvergesToACorrectMultiTopology(ControlPlane cp) throws Exception {
        new SimulatedNodes(cp.adminClient()).createMany("node", 0, 60, ZONES);
        Map<String, Object> section = Map.of("ratio", 0.1, "removalDelay", "2s");
        startController(cp, section);

        ClusterSnapshot snapshot = awaitTopology(cp, section, 6);
        assertThat(reflectorsPerZone(snapshot)).containsExactly(Map.entry("a", 2L), Map.entry("b", 2L), Map.entry("c", 2L));
        assertThat(snapshot.nodes().stream().map(n -> n.annotations().get(Names.CLUSTER_ID_ANNOTATION))
                .filter(id -> id != null)).containsExactlyInAnyOrder("224.0.0.1", "224.0.0.2", "224.0.0.3", "224.0.0.4",
                "224.0.0.5", "224.0.0.6");
        assertThat(snapshot.ownedPeers()).hasSizeBetween(2, 13);
        assertThat(snapshot.nodes()).filteredOn(n -> !n.labels().containsKey(RR))
                .allMatch(n -> n.labels().containsKey(Names.GROUP_LABEL));
        // route reflection itself: every node learns every other node's routes, mesh on or off
        assertThat(new Bgp(snapshot.nodes(), snapshot.ownedPeers(), true, Set.of()).unreachable()).isEmpty();
        assertThat(new Bgp(snapshot.nodes(), snapshot.ownedPeers(), false, Set.of()).unreachable()).isEmpty();
        // from no BGPPeer of ours, the first convergence only adds sessions: the counter ends at the topology's
        long sessions = Sessions.of(snapshot.nodes(), snapshot.ownedPeers()).nodes().stream()
                .mapToLong(Sessions.NodeSessions::sessions).sum() / 2;
        await("the session-change counter at the topology's " + sessions + " sessions",
                () -> counter(host, "calico_rr_bgp_session_changes_total") == sessions);
        // promotions are told on the nodes
        await("promotion Events", () -> events(cp).stream().anyMatch(e -> "RouteReflectorPromoted".equals(e.getReason())
                && e.getInvolvedObject().getKind().equals("Node")));
        // the effective config is reported beside upstream in our annotation
        await("running config annotation", () -> String.valueOf(configs(cp).get("default").getObject().getMetadata()
                .getAnnotations()).contains("\"ratio\":0.1"));
        await("topology annotation", () -> String.valueOf(configs(cp).get("default").getObject().getMetadata()
                .getAnnotations().get(TopologyReport.ANNOTATION)).contains("\"routeReflectors\":6"));
    }

    @Test
    void theTopologyFollowsNodesAddedRemovedAndCordoned(ControlPlane cp) throws Exception {
        SimulatedNodes nodes = new SimulatedNodes(cp.adminClient());
        nodes.createMany("node", 0, 60, ZONES);
        Map<String, Object> section = Map.of("ratio", 0.1, "removalDelay", "2s");
        startController(cp, section);
        awaitTopology(cp, section, 6);

        nodes.createMany("node", 60, 30, ZONES);
        ClusterSnapshot grown = awaitTopology(cp, section, 9);
        assertThat(reflectorsPerZone(grown)).containsExactly(Map.entry("a", 3L), Map.entry("b", 3L), Map.entry("c", 3L));

        for (int i = 45; i < 90; i++) {
            nodes.delete(String.format("node-%03d", i));
        }
        awaitTopology(cp, section, 5); // 45 nodes * 0.1 = 4.5 -> 5

        String cordoned = observed(cp).nodes().stream().filter(n -> n.labels().containsKey(RR)).map(NodeFacts::name)
                .sorted().findFirst().orElseThrow();
        nodes.cordon(cordoned, true);
        ClusterSnapshot after = awaitTopology(cp, section, 5);
        assertThat(after.nodes()).filteredOn(n -> n.name().equals(cordoned)).singleElement()
                .satisfies(n -> assertThat(n.labels()).doesNotContainKey(RR).containsKey(Names.GROUP_LABEL));
        assertThat(new Bgp(after.nodes(), after.ownedPeers(), false, Set.of()).unreachable()).isEmpty();
    }

    @Test
    void editsOfMinRatioZoneLabelAndTopologyTakeEffectLive(ControlPlane cp) throws Exception {
        new SimulatedNodes(cp.adminClient()).createMany("node", 0, 30, ZONES);
        Map<String, Object> section = new LinkedHashMap<>(Map.of("ratio", 0.1, "removalDelay", "1s"));
        startController(cp, section);
        awaitTopology(cp, section, 3);

        section.put("min", 5);
        editSection(cp, "{\"min\":5}");
        awaitTopology(cp, section, 5);

        section.put("ratio", 0.3);
        editSection(cp, "{\"ratio\":0.3}");
        awaitTopology(cp, section, 9);

        section.put("zoneLabel", "");
        editSection(cp, "{\"zoneLabel\":\"\"}");
        awaitTopology(cp, section, 9);

        section.put("topologyType", "single");
        editSection(cp, "{\"topologyType\":\"single\"}");
        ClusterSnapshot single = awaitTopology(cp, section, 9);
        assertThat(single.ownedPeers()).extracting(PeerFacts::name).containsExactlyInAnyOrder("rrc-mesh", "rrc-clients");
        assertThat(single.nodes()).noneMatch(n -> n.labels().containsKey(Names.GROUP_LABEL));
        assertThat(single.nodes().stream().map(n -> n.annotations().get(Names.CLUSTER_ID_ANNOTATION))
                .filter(id -> id != null).distinct()).containsExactly("224.0.0.0");
        assertThat(new Bgp(single.nodes(), single.ownedPeers(), true, Set.of()).unreachable()).isEmpty();
    }

    @Test
    void aBadEditIsRejectedWithAnEventAndTheTopologyStays(ControlPlane cp) throws Exception {
        new SimulatedNodes(cp.adminClient()).createMany("node", 0, 30, ZONES);
        Map<String, Object> section = Map.of("ratio", 0.1);
        startController(cp, section);
        ClusterSnapshot before = awaitTopology(cp, section, 3);

        editSection(cp, "{\"nodeSelector\":\"rr-pool == \",\"ratio\":0.5}");
        await("an Event names the field", () -> events(cp).stream().anyMatch(e -> "InvalidConfiguration".equals(e.getReason())
                && e.getMessage().contains("spec.controllers.routereflector.nodeSelector")));
        Thread.sleep(1000); // give a (wrong) reaction time to show
        ClusterSnapshot after = awaitTopology(cp, section, 3);
        assertThat(reflectorNames(after)).isEqualTo(reflectorNames(before));

        // the apiserver itself refuses what the schema can check
        var refused = configs(cp).patch("default", V1Patch.PATCH_FORMAT_JSON_MERGE_PATCH,
                new V1Patch("{\"spec\":{\"controllers\":{\"routereflector\":{\"min\":7,\"max\":4}}}}"));
        assertThat(refused.isSuccess()).isFalse();
        assertThat(refused.getStatus().getMessage()).contains("min must not be greater than max");
    }

    @Test
    void aUserMadeBgpPeerIsNeverTouched(ControlPlane cp) throws Exception {
        BgpPeer user = new BgpPeer(new V1ObjectMeta().name("user-peer"), new BgpPeer.Spec("all()", "has(tor)"));
        String version = peers(cp).create(user).getObject().getMetadata().getResourceVersion();
        BgpPeer legacy = new BgpPeer(new V1ObjectMeta().name("rrs-to-rrs"), new BgpPeer.Spec("has(x)", "has(x)"));
        assertThat(peers(cp).create(legacy).isSuccess()).isTrue();
        new SimulatedNodes(cp.adminClient()).createMany("node", 0, 12, ZONES);
        Map<String, Object> section = Map.of("ratio", 0.25);
        startController(cp, section);
        awaitTopology(cp, section, 3);
        editSection(cp, "{\"topologyType\":\"single\"}");
        awaitTopology(cp, Map.of("ratio", 0.25, "topologyType", "single"), 3);

        assertThat(peers(cp).get("user-peer").getObject().getMetadata().getResourceVersion()).isEqualTo(version);
        assertThat(peers(cp).get("rrs-to-rrs").isSuccess()).isTrue();
        await("the legacy peer is reported", () -> events(cp).stream()
                .anyMatch(e -> "LegacyPeerFound".equals(e.getReason())));
    }

    @Test
    void dryRunPlansAndWritesNothing(ControlPlane cp) throws Exception {
        new SimulatedNodes(cp.adminClient()).createMany("node", 0, 12, ZONES);
        startController(cp, Map.of("ratio", 0.25), true);
        await("a reconcile ran", () -> host.registry().scrape().stream()
                .filter(m -> m.getMetadata().getName().equals("calico_rr_reconcile_duration_seconds"))
                .map(m -> (io.prometheus.metrics.model.snapshots.HistogramSnapshot) m)
                .anyMatch(h -> h.getDataPoints().stream().anyMatch(d -> d.getCount() > 0)));
        ClusterSnapshot snapshot = observed(cp);
        assertThat(snapshot.nodes()).noneMatch(n -> n.labels().containsKey(RR)
                || n.annotations().containsKey(Names.CLUSTER_ID_ANNOTATION));
        assertThat(snapshot.ownedPeers()).isEmpty();
        assertThat(cp.kubectl("get", "leases", "-n", "kube-system", "calico-rr-controller").exitCode()).isNotZero();
    }

    @Test
    void aCrdReappliedWithoutOurSectionKeepsTheTopologyInsteadOfFallingBackToDefaults(ControlPlane cp)
            throws Exception {
        new SimulatedNodes(cp.adminClient()).createMany("node", 0, 60, ZONES);
        Map<String, Object> section = Map.of("ratio", 0.1, "topologyType", "single");
        startController(cp, section);
        Set<String> before = reflectorNames(awaitTopology(cp, section, 6));
        Path calicoCrd = cp.repo().resolve("deploy/crds/calico/crd.projectcalico.org_kubecontrollersconfigurations.yaml");
        try {
            var installed = cp.kubectl("apply", "-f", calicoCrd.toString());
            assertThat(installed.exitCode()).as(installed.stderr()).isZero();
            // any change of the object now reads back without our section (as after a Calico upgrade)
            await("the section is gone from the CR", () -> {
                var response = configs(cp).patch("default", V1Patch.PATCH_FORMAT_JSON_MERGE_PATCH,
                        new V1Patch("{\"spec\":{\"logSeverityScreen\":\"Info\"}}"));
                return response.isSuccess() && !response.getObject().getSpec().get("controllers").toString()
                        .contains("routereflector");
            });
            await("the pruning is reported", () -> events(cp).stream()
                    .anyMatch(e -> "ConfigurationSectionPruned".equals(e.getReason())));
            Thread.sleep(2000); // time for a wrong reaction (defaults: 3 RRs, multi) to show
            assertThat(reflectorNames(awaitTopology(cp, section, 6))).isEqualTo(before);
        } finally {
            cp.installCrds();
        }
    }

    @Test
    void withCalicosOwnCrdThePrunedSectionIsReportedAndEnvironmentAndConfigFileTakeOver(ControlPlane cp)
            throws Exception {
        Path calicoCrd = cp.repo().resolve("deploy/crds/calico/crd.projectcalico.org_kubecontrollersconfigurations.yaml");
        var installed = cp.kubectl("apply", "-f", calicoCrd.toString());
        assertThat(installed.exitCode()).as(installed.stderr()).isZero();
        try {
            ConfigurationStore store = new KddConfigurationStore(cp.controllerClient(), false);
            Map<String, Object> probe = new RouteReflectorPlugin().parseConfig(null, Map.of()).effective();
            new SimulatedNodes(cp.adminClient()).createMany("node", 0, 40, ZONES);
            // the section of the CR is silently dropped by Calico's schema: min 1 would give 2 RRs
            Map<String, Object> fileSpec = Map.of("controllers", Map.of("routereflector",
                    Map.of("ratio", 0.05, "topologyType", "single", "clusterId", "224.0.0.9")));
            startController(cp, Map.of("min", 1, "max", 1), Map.of("ROUTE_REFLECTOR_MIN", "4"), fileSpec, false);
            assertThat(configs(cp).get("default").getObject().getSpec().get("controllers").toString())
                    .doesNotContain("routereflector");

            await("an Event says the section is pruned and what to apply", () -> events(cp).stream()
                    .anyMatch(e -> "ConfigurationSectionPruned".equals(e.getReason())
                            && e.getMessage().contains("drops spec.controllers.routereflector")
                            && e.getMessage().contains("deploy/crds/routereflector-section.yaml")));
            var pruned = (GaugeSnapshot) host.registry().scrape().stream()
                    .filter(m -> m.getMetadata().getName().equals("calico_rr_config_section_pruned")).findFirst()
                    .orElseThrow();
            assertThat(pruned.getDataPoints().get(0).getValue()).isEqualTo(1.0);
            // ratio 0.05 of 40 is 2, the environment's min raises it to 4, all with the file's single cluster ID
            Map<String, Object> effective = Map.of("ratio", 0.05, "min", 4, "topologyType", "single",
                    "clusterId", "224.0.0.9");
            ClusterSnapshot snapshot = awaitTopology(cp, effective, 4);
            assertThat(snapshot.nodes().stream().map(n -> n.annotations().get(Names.CLUSTER_ID_ANNOTATION))
                    .filter(id -> id != null).distinct()).containsExactly("224.0.0.9");
            assertThat(store.prunedFields("routereflector", probe)).contains(probe.keySet());

            // the documented remedy: patch the installed CRD, and the section is kept
            var patched = cp.kubectl("patch", "crd", "kubecontrollersconfigurations.crd.projectcalico.org",
                    "--type", "json", "--patch-file", cp.repo().resolve("deploy/crds/routereflector-section.yaml")
                            .toString());
            assertThat(patched.exitCode()).as(patched.stderr()).isZero();
            await("the patched schema keeps every field", () -> {
                try {
                    return store.prunedFields("routereflector", probe).orElseThrow().isEmpty();
                } catch (Exception e) {
                    return false;
                }
            });
        } finally {
            cp.installCrds();
        }
    }

}
