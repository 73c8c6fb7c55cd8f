package dev.calicorr.routereflector.apply;

import static org.assertj.core.api.Assertions.assertThat;

import dev.calicorr.core.config.InvalidConfigException;
import dev.calicorr.core.plugin.ControllerContext;
import dev.calicorr.core.plugin.ControllerPlugin;
import dev.calicorr.core.plugin.ManagedController;
import dev.calicorr.core.plugin.ParsedConfig;
import dev.calicorr.core.kube.ConfigurationStore;
import dev.calicorr.core.kube.KubeControllersConfiguration;
import dev.calicorr.core.runtime.Host;
import dev.calicorr.core.runtime.HostOptions;
import dev.calicorr.routereflector.RouteReflectorPlugin;
import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.config.RouteReflectorConfigParser;
import dev.calicorr.routereflector.kube.BgpPeer;
import dev.calicorr.routereflector.kube.BgpPeerList;
import dev.calicorr.routereflector.kube.LiveCluster;
import dev.calicorr.routereflector.model.ClusterSnapshot;
import dev.calicorr.routereflector.model.Names;
import dev.calicorr.routereflector.model.NodeFacts;
import dev.calicorr.routereflector.model.PeerFacts;
import dev.calicorr.routereflector.plan.Plan;
import dev.calicorr.routereflector.plan.Planner;
import dev.calicorr.routereflector.sim.Bgp;
import dev.calicorr.testsupport.ControlPlane;
import dev.calicorr.testsupport.RealControlPlane;
import dev.calicorr.testsupport.SimulatedNodes;
import io.kubernetes.client.custom.V1Patch;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.CoreV1Event;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.util.generic.GenericKubernetesApi;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The route reflector controller in the host, against the real apiserver, as the controller's RBAC identity. */
@RealControlPlane
class RouteReflectorIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final List<String> ZONES = List.of("a", "b", "c");
    private static final String RR = RouteReflectorConfig.DEFAULT_RR_LABEL_KEY;

    private Host host;
    /** How long the leader Lease lasts; the outage test outlives a 30 s outage with a longer one. */
    private Duration lease = Duration.ofSeconds(4);

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
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("prometheusMetricsPort", 0);
        spec.put("controllers", Map.of("routereflector", section));
        var created = configs(cp).create(new KubeControllersConfiguration(new V1ObjectMeta().name("default"), spec));
        assertThat(created.isSuccess()).as("%s", created.getStatus()).isTrue();
        host = newHost(cp, new RouteReflectorPlugin(), "it", env, fileSpec, dryRun);
        host.start();
    }

    private Host newHost(ControlPlane cp, ControllerPlugin<?> plugin, String identity, Map<String, String> env,
            Map<String, Object> fileSpec, boolean dryRun) {
        Map<String, String> environment = new LinkedHashMap<>(env);
        environment.put("ENABLED_CONTROLLERS", "routereflector");
        HostOptions options = HostOptions.defaults(environment, identity)
                .withHealth("127.0.0.1", 0)
                .withModes(dryRun, false)
                .withLease("kube-system", "calico-rr-controller", lease, lease.multipliedBy(3).dividedBy(4),
                        Duration.ofMillis(500))
                .withFileSpec(fileSpec);
        return new Host(options, cp.controllerClient(), cp.newControllerClient(), List.of(plugin), () -> { });
    }

    /** The route reflector plugin whose controller dies (writes nothing more) after a number of steps. */
    private static final class MortalPlugin implements ControllerPlugin<RouteReflectorConfig> {
        private final RouteReflectorPlugin plugin = new RouteReflectorPlugin();
        private final AtomicInteger stepsLeft;
        private final AtomicBoolean died = new AtomicBoolean();

        MortalPlugin(int steps) {
            stepsLeft = new AtomicInteger(steps);
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
            RouteReflectorController controller = (RouteReflectorController) plugin.create(context, config);
            controller.reconciler().setStepHook(step -> {
                if (stepsLeft.getAndDecrement() <= 0) {
                    died.set(true);
                    throw new IllegalStateException("simulated crash before " + step);
                }
            });
            return controller;
        }
    }

    private static GenericKubernetesApi<KubeControllersConfiguration, ?> configs(ControlPlane cp) {
        return ConfigurationStore.api(cp.adminClient());
    }

    private static GenericKubernetesApi<BgpPeer, BgpPeerList> peers(ControlPlane cp) {
        return new GenericKubernetesApi<>(BgpPeer.class, BgpPeerList.class, "crd.projectcalico.org", "v1", "bgppeers",
                cp.adminClient());
    }

    private static void editSection(ControlPlane cp, String json) {
        var response = configs(cp).patch("default", V1Patch.PATCH_FORMAT_JSON_MERGE_PATCH,
                new V1Patch("{\"spec\":{\"controllers\":{\"routereflector\":" + json + "}}}"));
        assertThat(response.isSuccess()).as("%s", response.getStatus()).isTrue();
    }

    private static ClusterSnapshot observed(ControlPlane cp) {
        return LiveCluster.read(cp.adminClient());
    }

    /** Waits until the cluster is what the planner wants, with {@code reflectors} RRs. */
    private static ClusterSnapshot awaitTopology(ControlPlane cp, Map<String, Object> section, int reflectors)
            throws Exception {
        RouteReflectorConfig config = RouteReflectorConfigParser.parse(section, Map.of()).config();
        Instant deadline = Instant.now().plus(TIMEOUT);
        String last = "";
        while (Instant.now().isBefore(deadline)) {
            ClusterSnapshot snapshot = observed(cp);
            Plan plan = Planner.plan(snapshot, config, Instant.now());
            long rrs = snapshot.nodes().stream().filter(n -> n.labels().containsKey(RR)
                    && n.annotations().containsKey(Names.CLUSTER_ID_ANNOTATION)).count();
            if (plan.steps().isEmpty() && rrs == reflectors) {
                return snapshot;
            }
            last = rrs + " RRs, pending: " + plan.steps();
            Thread.sleep(100);
        }
        throw new AssertionError("no convergence to " + reflectors + " RRs within " + TIMEOUT + ": " + last);
    }

    private static Map<String, Long> reflectorsPerZone(ClusterSnapshot snapshot) {
        return snapshot.nodes().stream().filter(n -> n.labels().containsKey(RR))
                .collect(Collectors.groupingBy(n -> n.labels().get(SimulatedNodes.ZONE_LABEL), TreeMap::new,
                        Collectors.counting()));
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

    private static Set<String> reflectorNames(ClusterSnapshot snapshot) {
        return snapshot.nodes().stream().filter(n -> n.labels().containsKey(RR)).map(NodeFacts::name)
                .collect(Collectors.toSet());
    }

    @Test
    void controllersThatCrashBetweenApplyStepsNeverLeaveAClientWithoutAReflectorAndTheNextConverges(ControlPlane cp)
            throws Exception {
        new SimulatedNodes(cp.adminClient()).createMany("node", 0, 45, ZONES);
        Map<String, Object> single = Map.of("ratio", 0.1, "topologyType", "single", "removalDelay", "1s");
        startController(cp, single);
        awaitTopology(cp, single, 5);
        host.close();
        host = null;

        // switching to multi takes dozens of ordered steps; each controller dies after three of them
        Map<String, Object> multi = Map.of("ratio", 0.1, "topologyType", "multi", "removalDelay", "1s");
        editSection(cp, "{\"topologyType\":\"multi\"}");
        RouteReflectorConfig config = RouteReflectorConfigParser.parse(multi, Map.of()).config();
        int lives = 0;
        while (true) {
            MortalPlugin plugin = new MortalPlugin(3);
            Host mortal = newHost(cp, plugin, "life-" + lives, Map.of(), Map.of(), false);
            try {
                mortal.start();
                await("a crash or convergence", () -> plugin.died.get()
                        || Planner.plan(observed(cp), config, Instant.now().plusSeconds(5)).steps().isEmpty());
            } finally {
                mortal.close();
            }
            ClusterSnapshot crashed = observed(cp);
            assertThat(new Bgp(crashed.nodes(), crashed.ownedPeers(), false, Set.of()).unreachable())
                    .as("after crash %d", lives).isEmpty();
            if (!plugin.died.get()) {
                break;
            }
            lives++;
            assertThat(lives).as("crashes before convergence").isLessThan(60);
        }
        assertThat(lives).as("the switch needed several lives, so crashes hit the middle of the plan")
                .isGreaterThan(2);
        ClusterSnapshot converged = awaitTopology(cp, multi, 5);
        assertThat(new Bgp(converged.nodes(), converged.ownedPeers(), false, Set.of()).unreachable()).isEmpty();
        assertThat(converged.ownedPeers()).extracting(PeerFacts::name).doesNotContain("rrc-clients");
    }

    @Test
    void handEditsOfAManagedPeerOrAnRrLabelAreRestoredAndReported(ControlPlane cp) throws Exception {
        new SimulatedNodes(cp.adminClient()).createMany("node", 0, 30, ZONES);
        Map<String, Object> section = Map.of("ratio", 0.1, "removalDelay", "2s");
        startController(cp, section);
        ClusterSnapshot before = awaitTopology(cp, section, 3);
        PeerFacts mesh = before.ownedPeers().stream().filter(p -> p.name().equals("rrc-mesh")).findFirst().orElseThrow();

        var edited = peers(cp).patch("rrc-mesh", V1Patch.PATCH_FORMAT_JSON_MERGE_PATCH,
                new V1Patch("{\"spec\":{\"peerSelector\":\"has(somewhere-else)\"}}"));
        assertThat(edited.isSuccess()).as("%s", edited.getStatus()).isTrue();
        String reflector = reflectorNames(before).iterator().next();
        new SimulatedNodes(cp.adminClient()).label(reflector, RR, null);

        await("both are restored", () -> {
            ClusterSnapshot now = observed(cp);
            return now.ownedPeers().contains(mesh) && reflectorNames(now).equals(reflectorNames(before));
        });
        await("the restores are reported", () -> events(cp).stream()
                .filter(e -> "ManagedObjectRestored".equals(e.getReason())).map(e -> e.getInvolvedObject().getName())
                .collect(Collectors.toSet()).containsAll(Set.of("rrc-mesh", reflector)));
        assertThat(awaitTopology(cp, section, 3).ownedPeers()).containsExactlyInAnyOrderElementsOf(before.ownedPeers());
    }

    @Test
    void aRandomEventSoakNeverLeavesAClientWithoutAReflector(ControlPlane cp) throws Exception {
        long seed = Long.getLong("soak.seed", System.nanoTime());
        int events = Integer.getInteger("soak.events", 60);
        Random random = new Random(seed);
        SimulatedNodes nodes = new SimulatedNodes(cp.adminClient());
        List<String> names = new ArrayList<>(nodes.createMany("node", 0, 500, ZONES));
        Map<String, Object> section = new LinkedHashMap<>(Map.of("ratio", 0.02, "removalDelay", "1s"));
        startController(cp, section);
        int next = 500;
        for (int e = 0; e < events; e++) {
            String victim = names.get(random.nextInt(names.size()));
            String event;
            switch (random.nextInt(8)) {
                case 0 -> {
                    String name = String.format("node-%03d", next++);
                    nodes.create(SimulatedNodes.node(name).zone(ZONES.get(random.nextInt(ZONES.size()))));
                    names.add(name);
                    event = "add " + name;
                }
                case 1 -> {
                    nodes.delete(victim);
                    names.remove(victim);
                    event = "delete " + victim;
                }
                case 2 -> {
                    boolean cordoned = Boolean.TRUE.equals(nodes.get(victim).getSpec().getUnschedulable());
                    nodes.cordon(victim, !cordoned);
                    event = (cordoned ? "uncordon " : "cordon ") + victim;
                }
                case 3 -> {
                    boolean ready = nodes.get(victim).getStatus().getConditions().stream()
                            .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
                    nodes.setReady(victim, !ready);
                    event = (ready ? "NotReady " : "Ready ") + victim;
                }
                case 4 -> {
                    nodes.taint(victim, "example.com/maintenance", "NoSchedule");
                    event = "taint " + victim;
                }
                case 5 -> { // a zone goes down or comes back
                    String zone = ZONES.get(random.nextInt(ZONES.size()));
                    boolean ready = random.nextBoolean();
                    List<String> inZone = observed(cp).nodes().stream()
                            .filter(n -> zone.equals(n.labels().get(SimulatedNodes.ZONE_LABEL)))
                            .map(NodeFacts::name).toList();
                    inZone.parallelStream().forEach(n -> nodes.setReady(n, ready));
                    event = "zone " + zone + (ready ? " back" : " lost");
                }
                case 6 -> {
                    section.put("ratio", List.of(0.01, 0.02, 0.05).get(random.nextInt(3)));
                    section.put("topologyType", random.nextBoolean() ? "single" : "multi");
                    editSection(cp, new com.google.gson.Gson().toJson(section));
                    event = "edit " + section;
                }
                default -> {
                    event = "nothing";
                }
            }
            String context = "seed " + seed + ", event " + e + ": " + event;
            ClusterSnapshot converged = awaitConverged(cp, section, context);
            Bgp bgp = new Bgp(converged.nodes(), converged.ownedPeers(), false, Set.of());
            for (String node : bgp.upNodes()) {
                NodeFacts facts = converged.nodes().stream().filter(n -> n.name().equals(node)).findFirst().orElseThrow();
                if (!facts.annotations().containsKey(Names.CLUSTER_ID_ANNOTATION) && bgp.upNodes().size() > 1) {
                    assertThat(bgp.hasReflector(node)).as("%s: %s has no route reflector", context, node).isTrue();
                }
            }
        }
    }

    /** Waits until the planner has nothing left to do on the observed cluster. */
    private static ClusterSnapshot awaitConverged(ControlPlane cp, Map<String, Object> section, String context)
            throws Exception {
        RouteReflectorConfig config = RouteReflectorConfigParser.parse(section, Map.of()).config();
        Instant deadline = Instant.now().plus(TIMEOUT);
        while (Instant.now().isBefore(deadline)) {
            ClusterSnapshot snapshot = observed(cp);
            if (Planner.plan(snapshot, config, Instant.now()).steps().isEmpty()) {
                return snapshot;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no convergence within " + TIMEOUT + " (" + context + ")");
    }

    @Test
    void whenTheLeaderDiesMidApplyTheStandbyTakesOverWithNothingDuplicatedOrLost(ControlPlane cp) throws Exception {
        new SimulatedNodes(cp.adminClient()).createMany("node", 0, 300, ZONES);
        Map<String, Object> section = Map.of("ratio", 0.03, "removalDelay", "2s");
        RouteReflectorConfig config = RouteReflectorConfigParser.parse(section, Map.of()).config();
        startController(cp, section, true); // dry run: only creates the configuration here
        host.close();
        MortalPlugin mortal = new MortalPlugin(40);
        host = newHost(cp, mortal, "leader", Map.of(), Map.of(), false);
        host.start();
        await("the leader leads", host::isLeader);
        Host standby = newHost(cp, new RouteReflectorPlugin(), "standby", Map.of(), Map.of(), false);
        try {
            standby.start();
            await("the leader died after 40 writes", mortal.died::get);
            assertThat(Planner.plan(observed(cp), config, Instant.now()).steps()).as("died mid-apply").isNotEmpty();
            assertThat(standby.isLeader()).isFalse();
            host.close(); // the dead process goes away; its Lease is free
            host = null;
            await("the standby leads", standby::isLeader);
            ClusterSnapshot converged = awaitTopology(cp, section, 9);
            Plan plan = Planner.plan(converged, config, Instant.now());
            assertThat(converged.ownedPeers()).containsExactlyInAnyOrderElementsOf(plan.desiredPeers());
            assertThat(converged.nodes().stream().map(n -> n.annotations().get(Names.CLUSTER_ID_ANNOTATION))
                    .filter(id -> id != null)).doesNotHaveDuplicates().hasSize(9);
            assertThat(new Bgp(converged.nodes(), converged.ownedPeers(), false, Set.of()).unreachable()).isEmpty();
        } finally {
            standby.close();
        }
    }

    @Test
    void aThirtySecondApiOutageTearsNothingDownAndTheControllerRecovers(ControlPlane cp) throws Exception {
        lease = Duration.ofSeconds(60); // the leader keeps its Lease through the outage
        new SimulatedNodes(cp.adminClient()).createMany("node", 0, 30, ZONES);
        Map<String, Object> section = Map.of("ratio", 0.1, "removalDelay", "2s");
        startController(cp, section);
        ClusterSnapshot before = awaitTopology(cp, section, 3);

        cp.stopApiServer();
        Thread.sleep(30_000);
        cp.startApiServer();
        int afterOutage = cp.controllerWrites().size();
        ClusterSnapshot after = observed(cp);
        assertThat(reflectorNames(after)).isEqualTo(reflectorNames(before));
        assertThat(after.ownedPeers()).containsExactlyInAnyOrderElementsOf(before.ownedPeers());
        assertThat(host.isLeader()).isTrue();

        // the controller watches again and follows a change made after the outage
        new SimulatedNodes(cp.adminClient()).createMany("node", 30, 30, ZONES);
        ClusterSnapshot grown = awaitTopology(cp, section, 6);
        assertThat(reflectorNames(grown)).containsAll(reflectorNames(before));
        // as the apiserver saw it: after the outage no route reflector lost its label or annotation
        assertThat(cp.controllerWrites().subList(afterOutage, cp.controllerWrites().size()))
                .filteredOn(w -> "nodes".equals(w.resource()) && reflectorNames(before).contains(w.name()))
                .isEmpty();
        // the caches that re-listed after the outage are not mistaken for someone else's edits
        assertThat(events(cp)).noneMatch(e -> "ManagedObjectRestored".equals(e.getReason()));
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
            ConfigurationStore store = new ConfigurationStore(cp.controllerClient(), false);
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

    private static List<CoreV1Event> events(ControlPlane cp) {
        try {
            return new CoreV1Api(cp.adminClient()).listNamespacedEvent("default").execute().getItems();
        } catch (Exception e) {
            return List.of();
        }
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        Instant deadline = Instant.now().plus(TIMEOUT);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("timed out after " + TIMEOUT + " waiting for " + what);
            }
            Thread.sleep(100);
        }
    }
}
