package dev.calicorr.routereflector.apply;

import static org.assertj.core.api.Assertions.assertThat;

import dev.calicorr.core.kube.ConfigurationStore;
import dev.calicorr.core.kube.KubeControllersConfiguration;
import dev.calicorr.core.plugin.ControllerPlugin;
import dev.calicorr.core.runtime.Host;
import dev.calicorr.core.runtime.HostOptions;
import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.config.RouteReflectorConfigParser;
import dev.calicorr.routereflector.kube.BgpConfiguration;
import dev.calicorr.routereflector.kube.BgpConfigurationList;
import dev.calicorr.routereflector.kube.BgpPeer;
import dev.calicorr.routereflector.kube.CalicoNodeStatus;
import dev.calicorr.routereflector.kube.CalicoNodeStatusList;
import dev.calicorr.routereflector.kube.BgpPeerList;
import dev.calicorr.routereflector.kube.LiveCluster;
import dev.calicorr.routereflector.model.ClusterSnapshot;
import dev.calicorr.routereflector.model.Names;
import dev.calicorr.routereflector.model.NodeFacts;
import dev.calicorr.routereflector.plan.Plan;
import dev.calicorr.routereflector.plan.Planner;
import dev.calicorr.testsupport.ControlPlane;
import dev.calicorr.testsupport.SimulatedNodes;
import io.kubernetes.client.custom.V1Patch;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.CoreV1Event;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.util.generic.GenericKubernetesApi;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

/** What the integration tests share (this package's, and the plan command's): starting hosts, editing config, waiting for convergence. */
public final class LiveChecks {
    static final Duration TIMEOUT = Duration.ofSeconds(60);
    public static final List<String> ZONES = List.of("a", "b", "c");
    static final String RR = RouteReflectorConfig.DEFAULT_RR_LABEL_KEY;
    static final String LEASE_NAMESPACE = "kube-system";
    static final String LEASE_NAME = "calico-rr-controller";

    private LiveChecks() {
    }

    /**
     * What the ITs use for {@code sessionSettleDelay} unless a section says: no calico-node runs here,
     * so sessions nobody reports count as up after it, and a test of a transition should not wait
     * the production default for each break phase (as {@code removalDelay: 1s} for the same reason).
     */
    static final String IT_SETTLE_DELAY = "1s";

    /** Creates {@code KubeControllersConfiguration/default} with this routereflector section. */
    public static void createConfiguration(ControlPlane cp, Map<String, Object> section) {
        var created = configs(cp).create(new KubeControllersConfiguration(new V1ObjectMeta().name("default"),
                configurationSpec(section)));
        assertThat(created.isSuccess()).as("%s", created.getStatus()).isTrue();
    }

    /** The spec of the ITs' {@code default}: no metrics port, this routereflector section with the ITs' settle delay. */
    static Map<String, Object> configurationSpec(Map<String, Object> section) {
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("prometheusMetricsPort", 0);
        Map<String, Object> withSettle = new LinkedHashMap<>(section);
        withSettle.putIfAbsent("sessionSettleDelay", IT_SETTLE_DELAY);
        spec.put("controllers", Map.of("routereflector", withSettle));
        return spec;
    }

    /** A host (not started) as the controller's identity, with short leader election timings. */
    public static Host newHost(ControlPlane cp, ControllerPlugin<?> plugin, String identity, Duration lease) {
        return newHost(cp, cp.controllerClient(), cp.newControllerClient(), plugin, identity, lease, Map.of(), Map.of(),
                false);
    }

    static Host newHost(ControlPlane cp, ApiClient client, ApiClient informerClient, ControllerPlugin<?> plugin,
            String identity, Duration lease, Map<String, String> env, Map<String, Object> fileSpec, boolean dryRun) {
        return new Host(hostOptions(identity, lease, env, fileSpec).withModes(dryRun, false), client, informerClient,
                List.of(plugin), () -> { });
    }

    /** The ITs' host options: the route reflector controller enabled, short leader election timings. */
    static HostOptions hostOptions(String identity, Duration lease, Map<String, String> env,
            Map<String, Object> fileSpec) {
        Map<String, String> environment = new LinkedHashMap<>(env);
        environment.put("ENABLED_CONTROLLERS", "routereflector");
        return HostOptions.defaults(environment, identity)
                .withHealth("127.0.0.1", 0)
                .withLease(LEASE_NAMESPACE, LEASE_NAME, lease, lease.multipliedBy(3).dividedBy(4), Duration.ofMillis(500))
                .withFileSpec(fileSpec);
    }

    static GenericKubernetesApi<KubeControllersConfiguration, ?> configs(ControlPlane cp) {
        return ConfigurationStore.api(cp.adminClient());
    }

    static GenericKubernetesApi<BgpPeer, BgpPeerList> peers(ControlPlane cp) {
        return new GenericKubernetesApi<>(BgpPeer.class, BgpPeerList.class, "crd.projectcalico.org", "v1", "bgppeers",
                cp.adminClient());
    }

    static void editSection(ControlPlane cp, String json) {
        var response = configs(cp).patch("default", V1Patch.PATCH_FORMAT_JSON_MERGE_PATCH,
                new V1Patch("{\"spec\":{\"controllers\":{\"routereflector\":" + json + "}}}"));
        assertThat(response.isSuccess()).as("%s", response.getStatus()).isTrue();
    }

    public static ClusterSnapshot observed(ControlPlane cp) {
        return LiveCluster.read(cp.adminClient());
    }

    static RouteReflectorConfig config(Map<String, Object> section) throws Exception {
        Map<String, Object> withSettle = new LinkedHashMap<>(section);
        withSettle.putIfAbsent("sessionSettleDelay", IT_SETTLE_DELAY);
        return RouteReflectorConfigParser.parse(withSettle, Map.of()).config();
    }

    /** Waits until the cluster is what the planner wants, with {@code reflectors} RRs. */
    public static ClusterSnapshot awaitTopology(ControlPlane cp, Map<String, Object> section, int reflectors)
            throws Exception {
        RouteReflectorConfig config = config(section);
        Instant deadline = Instant.now().plus(TIMEOUT);
        String last = "";
        while (Instant.now().isBefore(deadline)) {
            ClusterSnapshot snapshot = observed(cp);
            Plan plan = Planner.plan(snapshot, config, Instant.now());
            long rrs = snapshot.nodes().stream().filter(n -> n.labels().containsKey(RR)
                    && n.annotations().containsKey(Names.CLUSTER_ID_ANNOTATION)).count();
            boolean statusesFollow = statusesFollow(cp, snapshot, config);
            if (plan.steps().isEmpty() && rrs == reflectors && statusesFollow) {
                return snapshot;
            }
            last = rrs + " RRs, pending: " + plan.steps() + (statusesFollow ? "" : ", CalicoNodeStatuses not yet one per RR");
            Thread.sleep(100);
        }
        throw new AssertionError("no convergence to " + reflectors + " RRs within " + TIMEOUT + ": " + last);
    }

    /**
     * Whether our CalicoNodeStatuses are one per route reflector (the controller's last writes of a
     * change), or the CRD is not installed.
     */
    private static boolean statusesFollow(ControlPlane cp, ClusterSnapshot snapshot, RouteReflectorConfig config) {
        var listed = statuses(cp).list();
        if (listed.getHttpStatusCode() == 404) {
            return true;
        }
        Set<String> owned = listed.isSuccess() ? listed.getObject().getItems().stream().filter(SessionChecks::isOwned)
                .map(s -> s.getSpec().getNode()).collect(Collectors.toSet()) : Set.of();
        Set<String> labelled = snapshot.nodes().stream().filter(n -> n.labels().containsKey(config.routeReflectorLabelKey()))
                .map(NodeFacts::name).collect(Collectors.toSet());
        return owned.equals(labelled);
    }

    /** Waits until the planner has nothing left to do on the observed cluster. */
    static ClusterSnapshot awaitConverged(ControlPlane cp, Map<String, Object> section, String context)
            throws Exception {
        RouteReflectorConfig config = config(section);
        Instant deadline = Instant.now().plus(TIMEOUT);
        List<?> pending = List.of();
        while (Instant.now().isBefore(deadline)) {
            ClusterSnapshot snapshot = observed(cp);
            pending = Planner.plan(snapshot, config, Instant.now()).steps();
            if (pending.isEmpty()) {
                return snapshot;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no convergence within " + TIMEOUT + " (" + context + "), pending: " + pending);
    }

    static Map<String, Long> reflectorsPerZone(ClusterSnapshot snapshot) {
        return snapshot.nodes().stream().filter(n -> n.labels().containsKey(RR))
                .collect(Collectors.groupingBy(n -> n.labels().get(SimulatedNodes.ZONE_LABEL), TreeMap::new,
                        Collectors.counting()));
    }

    static Set<String> reflectorNames(ClusterSnapshot snapshot) {
        return snapshot.nodes().stream().filter(n -> n.labels().containsKey(RR)).map(NodeFacts::name)
                .collect(Collectors.toSet());
    }

    static List<CoreV1Event> events(ControlPlane cp) {
        try {
            return new CoreV1Api(cp.adminClient()).listNamespacedEvent("default").execute().getItems();
        } catch (Exception e) {
            return List.of();
        }
    }

    static GenericKubernetesApi<CalicoNodeStatus, CalicoNodeStatusList> statuses(ControlPlane cp) {
        return new GenericKubernetesApi<>(CalicoNodeStatus.class, CalicoNodeStatusList.class, "crd.projectcalico.org",
                "v1", CalicoNodeStatus.PLURAL, cp.adminClient());
    }

    static GenericKubernetesApi<BgpConfiguration, BgpConfigurationList> bgpConfigurations(ControlPlane cp) {
        return new GenericKubernetesApi<>(BgpConfiguration.class, BgpConfigurationList.class, "crd.projectcalico.org",
                "v1", BgpConfiguration.PLURAL, cp.adminClient());
    }

    /** BGPConfiguration/default, or null when there is none. */
    static BgpConfiguration bgpConfiguration(ControlPlane cp) {
        var response = bgpConfigurations(cp).get(BgpConfiguration.DEFAULT_NAME);
        return response.isSuccess() ? response.getObject() : null;
    }

    /** The mesh as calico-node reads it: on without BGPConfiguration/default or without the field. */
    static boolean meshOn(ControlPlane cp) {
        BgpConfiguration configuration = bgpConfiguration(cp);
        return configuration == null || configuration.meshEnabled();
    }

    /** A gauge of the host's registry: the data point with these label values (none for an unlabelled one), or null. */
    static Double gauge(Host host, String name, String... labelValues) {
        return host.registry().scrape().stream().filter(m -> m.getMetadata().getName().equals(name))
                .map(m -> (io.prometheus.metrics.model.snapshots.GaugeSnapshot) m)
                .flatMap(g -> g.getDataPoints().stream())
                .filter(d -> labelValues.length == 0 || List.of(labelValues).equals(
                        d.getLabels().stream().map(io.prometheus.metrics.model.snapshots.Label::getValue).toList()))
                .map(io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot::getValue)
                .findFirst().orElse(null);
    }

    /** A counter's total over all label values ({@code name} with or without {@code _total}). */
    static double counter(Host host, String name) {
        String base = name.endsWith("_total") ? name.substring(0, name.length() - "_total".length()) : name;
        return host.registry().scrape().stream().filter(m -> m.getMetadata().getName().equals(base))
                .map(m -> (io.prometheus.metrics.model.snapshots.CounterSnapshot) m)
                .flatMap(c -> c.getDataPoints().stream())
                .mapToDouble(io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot::getValue)
                .sum();
    }

    /** How many reconciles the host's route reflector controller has finished. */
    static long reconciles(Host host) {
        return host.registry().scrape().stream()
                .filter(m -> m.getMetadata().getName().equals("calico_rr_reconcile_duration_seconds"))
                .map(m -> (io.prometheus.metrics.model.snapshots.HistogramSnapshot) m)
                .flatMap(h -> h.getDataPoints().stream()).mapToLong(d -> d.getCount()).sum();
    }

    /** Waits until the controller has finished two more reconciles (one may have started before the change). */
    static void awaitTwoMoreReconciles(Host host, ControlPlane cp) throws InterruptedException {
        long before = reconciles(host);
        // a label that changes nothing but wakes the controller
        SimulatedNodes nodes = new SimulatedNodes(cp.adminClient());
        String any = nodes.list().get(0).getMetadata().getName();
        for (int i = 0; i < 2; i++) {
            nodes.label(any, "test.example.com/nudge", String.valueOf(System.nanoTime()));
            long target = before + i + 1;
            await("a reconcile", () -> reconciles(host) >= target);
        }
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        Instant deadline = Instant.now().plus(TIMEOUT);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("timed out after " + TIMEOUT + " waiting for " + what);
            }
            Thread.sleep(100);
        }
    }
}
