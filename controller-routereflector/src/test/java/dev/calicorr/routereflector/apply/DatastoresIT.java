package dev.calicorr.routereflector.apply;

import static dev.calicorr.routereflector.apply.LiveChecks.RR;
import static dev.calicorr.routereflector.apply.LiveChecks.TIMEOUT;
import static dev.calicorr.routereflector.apply.LiveChecks.ZONES;
import static dev.calicorr.routereflector.apply.LiveChecks.await;
import static dev.calicorr.routereflector.apply.LiveChecks.awaitTwoMoreReconciles;
import static dev.calicorr.routereflector.apply.LiveChecks.config;
import static dev.calicorr.routereflector.apply.LiveChecks.configs;
import static dev.calicorr.routereflector.apply.LiveChecks.counter;
import static dev.calicorr.routereflector.apply.LiveChecks.events;
import static dev.calicorr.routereflector.apply.LiveChecks.gauge;
import static dev.calicorr.routereflector.apply.LiveChecks.newHost;
import static dev.calicorr.routereflector.apply.LiveChecks.peers;
import static dev.calicorr.routereflector.apply.LiveChecks.reconciles;
import static dev.calicorr.routereflector.apply.LiveChecks.reflectorNames;
import static dev.calicorr.routereflector.apply.LiveChecks.statuses;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import dev.calicorr.core.etcd.EtcdConfigurationStore;
import dev.calicorr.core.etcd.EtcdKeys;
import dev.calicorr.core.etcd.EtcdValues;
import dev.calicorr.core.kube.ConfigurationStore;
import dev.calicorr.core.runtime.Host;
import dev.calicorr.routereflector.RouteReflectorPlugin;
import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.datastore.CalicoEtcd;
import dev.calicorr.routereflector.kube.CalicoNodeStatus;
import dev.calicorr.routereflector.kube.NodeFactsReader;
import dev.calicorr.routereflector.model.ClusterSnapshot;
import dev.calicorr.routereflector.model.Names;
import dev.calicorr.routereflector.model.NodeFacts;
import dev.calicorr.routereflector.model.PeerFacts;
import dev.calicorr.routereflector.plan.Plan;
import dev.calicorr.routereflector.plan.Planner;
import dev.calicorr.routereflector.sim.Bgp;
import dev.calicorr.testsupport.ControlPlane;
import dev.calicorr.testsupport.ProcessResult;
import dev.calicorr.testsupport.RealControlPlane;
import dev.calicorr.testsupport.SimulatedNodes;
import dev.calicorr.testsupport.bgp.CalicoParts;
import dev.calicorr.testsupport.bgp.UpstreamKubeControllers;
import io.kubernetes.client.custom.V1Patch;
import io.kubernetes.client.openapi.apis.CustomObjectsApi;
import io.kubernetes.client.openapi.models.V1Node;
import io.kubernetes.client.util.PatchUtils;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The main flows in both of Calico's datastores: the Kubernetes datastore (KDD: CRDs, the Node's
 * labels and annotations) and etcdv3 (an etcd of Calico's own, with TLS and client certificates;
 * Kubernetes Nodes still in the apiserver). {@code KubeControllersConfiguration/default} is where
 * upstream kube-controllers reads it in each: the CR, or its key in etcd, edited there as an
 * operator does (kubectl; a put of the key, as calicoctl refuses our section). In etcd mode what
 * the controller wrote is read back with Calico's own calicoctl, which fails on an object it cannot
 * decode, and the topology is judged from calicoctl's view joined with the Kubernetes Nodes, as
 * calico-node builds BIRD's configuration.
 */
@RealControlPlane
class DatastoresIT {
    private static final Duration LEASE = Duration.ofSeconds(4);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final String OURS = Names.CONTROLLER_NAME + "/";
    private Host host;
    private Calico calico;
    private UpstreamKubeControllers upstream;

    enum Kind { KUBERNETES, ETCDV3 }

    /** A CalicoNodeStatus of ours: its {@code spec.node}, and whether calico-node has reported in it. */
    private record OurStatus(String node, boolean reported) {
    }

    /** Where Calico's resources are: how the test registers nodes, makes a user's peer, and reads back. */
    private interface Calico extends AutoCloseable {
        Map<String, String> environment();

        /** Creates {@code KubeControllersConfiguration/default} with this section where the datastore keeps it. */
        void createConfiguration(Map<String, Object> section) throws Exception;

        /** An operator's edit of our section: a JSON merge patch of it. */
        void editSection(String json) throws Exception;

        /** {@code default} as stored now, or a missing node when there is none. */
        JsonNode configuration() throws Exception;

        /**
         * {@code default} as Calico's own client reads it ({@code calicoctl get -o yaml}, which fails
         * on what it cannot decode), written back by it with another {@code logSeverityScreen}
         * ({@code calicoctl replace}): Calico's types have no field for our section, so it is dropped.
         *
         * @return what calicoctl read
         */
        JsonNode rewriteConfigurationWithCalicoctl(String logSeverityScreen) throws Exception;

        /** What calico-node does when it starts on a node. */
        void register(List<String> nodes) throws Exception;

        /** A BGPPeer an operator made: peerIP 198.18.9.9, AS 64512. */
        void createUserPeer() throws Exception;

        JsonNode userPeer() throws Exception;

        /** The nodes and our BGPPeers as calico-node sees them. */
        ClusterSnapshot observed(ControlPlane cp) throws Exception;

        /** Our CalicoNodeStatuses (managed-by label) where the datastore keeps them, by name. */
        Map<String, OurStatus> ourStatuses() throws Exception;

        /** What calico-node's status reporter writes: every session of the status's node Established. */
        void reportEstablished(String status, List<String> peerIps) throws Exception;

        /** A value that moves with every write of the controller to nodes and BGPPeers (and with nothing else). */
        Object writes(ControlPlane cp) throws Exception;

        /** Checks that ours is where this datastore keeps it, and nowhere else. */
        void checkWhereOursIs(ControlPlane cp, ClusterSnapshot snapshot) throws Exception;

        @Override
        void close();
    }

    @AfterEach
    void stop() {
        if (host != null) {
            host.close();
        }
        if (upstream != null) {
            upstream.close();
        }
        if (calico != null) {
            calico.close();
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void promotesAndReplacesAndLeavesTheUsersPeerAlone(Kind kind, ControlPlane cp) throws Exception {
        SimulatedNodes kubernetes = cluster(kind, cp);
        calico.createUserPeer();
        JsonNode userPeer = calico.userPeer();
        Map<String, Object> section = Map.of("removalDelay", "1s");
        calico.createConfiguration(section);
        startController(cp);

        ClusterSnapshot first = awaitTopology(cp, section, 3);
        calico.checkWhereOursIs(cp, first);
        assertThat(first.nodes().stream().map(n -> n.annotations().get(Names.CLUSTER_ID_ANNOTATION))
                .filter(id -> id != null)).containsExactlyInAnyOrder("224.0.0.1", "224.0.0.2", "224.0.0.3");
        assertThat(new Bgp(first.nodes(), first.ownedPeers(), false, Set.of()).unreachable()).isEmpty();

        String replaced = first.nodes().stream().filter(n -> n.labels().containsKey(RR)).map(NodeFacts::name)
                .sorted().findFirst().orElseThrow();
        kubernetes.cordon(replaced, true);
        ClusterSnapshot after = awaitTopology(cp, section, 3);
        assertThat(after.nodes()).filteredOn(n -> n.name().equals(replaced)).singleElement()
                .satisfies(n -> assertThat(n.labels()).doesNotContainKey(RR))
                .satisfies(n -> assertThat(n.annotations()).doesNotContainKey(Names.CLUSTER_ID_ANNOTATION));
        calico.checkWhereOursIs(cp, after);
        assertThat(new Bgp(after.nodes(), after.ownedPeers(), false, Set.of()).unreachable()).isEmpty();

        // the user's peer: not a byte changed (same spec, same resource version)
        assertThat(calico.userPeer()).isEqualTo(userPeer);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aRestartWritesNothingABadEditIsRejectedAndAnEditAndAZoneLossAreFollowed(Kind kind, ControlPlane cp)
            throws Exception {
        SimulatedNodes kubernetes = cluster(kind, cp);
        Map<String, Object> section = new LinkedHashMap<>(Map.of("removalDelay", "1s", "notReadyGrace", "0s"));
        calico.createConfiguration(section);
        startController(cp);
        ClusterSnapshot converged = awaitTopology(cp, section, 3);

        // converged: a restarted controller (a new leader) finds nothing to write
        host.close();
        Object before = calico.writes(cp);
        startController(cp);
        await("the restarted controller's first reconcile", () -> reconciles(host) >= 1);
        awaitTwoMoreReconciles(host, cp); // nudged by a label of no concern to it, on a Kubernetes Node
        assertThat(calico.writes(cp)).as("writes after the restart").isEqualTo(before);

        // a bad edit: rejected with an Event naming the field, and nothing is written, over the edit neither
        calico.editSection("{\"nodeSelector\":\"rr-pool == \",\"min\":5}");
        await("an Event names the field", () -> events(cp).stream().anyMatch(e -> "InvalidConfiguration"
                .equals(e.getReason()) && e.getMessage().contains("spec.controllers.routereflector.nodeSelector")));
        awaitTwoMoreReconciles(host, cp);
        assertThat(calico.writes(cp)).as("writes after the bad edit").isEqualTo(before);
        assertThat(reflectorNames(calico.observed(cp))).isEqualTo(reflectorNames(converged));
        assertThat(section(spec(calico))).containsEntry("nodeSelector", "rr-pool == ");

        section.put("min", 4);
        calico.editSection("{\"nodeSelector\":null,\"min\":4}");
        awaitTopology(cp, section, 4);

        // zone b is lost: its nodes go NotReady; its route reflectors move to the zones left
        for (V1Node node : kubernetes.list()) {
            if ("b".equals(node.getMetadata().getLabels().get(SimulatedNodes.ZONE_LABEL))) {
                kubernetes.setReady(node.getMetadata().getName(), false);
            }
        }
        ClusterSnapshot lost = awaitTopology(cp, section, 4);
        assertThat(lost.nodes()).filteredOn(n -> n.labels().containsKey(RR))
                .allSatisfy(n -> assertThat(n.labels().get(SimulatedNodes.ZONE_LABEL)).isIn("a", "c"));
        assertThat(new Bgp(lost.nodes().stream().filter(NodeFacts::ready).toList(), lost.ownedPeers(), false, Set.of())
                .unreachable()).isEmpty();
    }

    /**
     * Calico's own client drops our section whenever it writes {@code default} (calico-kube-controllers
     * writing its status, an operator's calicoctl): the controller keeps running on the section, with no
     * write to nodes or BGPPeers, and writes it back beside the client's edit, which stays.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void aWriteOfCalicosOwnClientDropsOurSectionAndTheControllerWritesItBack(Kind kind, ControlPlane cp)
            throws Exception {
        cluster(kind, cp);
        Map<String, Object> section = Map.of("min", 4, "removalDelay", "1s");
        calico.createConfiguration(section);
        startController(cp);
        awaitTopology(cp, section, 4); // the defaults would give 3
        await("the running configuration is reported", () -> runningConfig(calico).contains("\"min\":4"));
        Object before = calico.writes(cp);

        JsonNode read = calico.rewriteConfigurationWithCalicoctl("Debug");
        assertThat(read.path("metadata").path("annotations").path(ConfigurationStore.RUNNING_CONFIG_ANNOTATION)
                .asText()).as("calicoctl reads what we wrote").contains("\"min\":4");
        assertThat(read.path("spec").path("controllers").has("routereflector")).as("Calico's types drop it").isFalse();
        RouteReflectorConfig wanted = config(section);
        await("the section is back beside calicoctl's edit", () -> {
            Map<String, Object> spec = spec(calico);
            return "Debug".equals(spec.get("logSeverityScreen")) && section(spec) != null
                    && wanted.equals(unchecked(() -> config(section(spec))));
        });
        awaitTwoMoreReconciles(host, cp);
        assertThat(calico.writes(cp)).as("writes to nodes and BGPPeers").isEqualTo(before);
        awaitTopology(cp, section, 4);
    }

    /**
     * calico-node's BGP session reports, where the datastore keeps them: the controller keeps one
     * CalicoNodeStatus per route reflector there, reads the sessions calico-node reports in it, and
     * deletes the one of a node that is no longer a route reflector.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void oneCalicoNodeStatusPerRouteReflectorIsKeptAndItsReportsAreRead(Kind kind, ControlPlane cp) throws Exception {
        SimulatedNodes kubernetes = cluster(kind, cp);
        Map<String, Object> section = Map.of("removalDelay", "1s");
        calico.createConfiguration(section);
        startController(cp);
        Set<String> reflectors = reflectorNames(awaitTopology(cp, section, 3));
        await("one CalicoNodeStatus per route reflector", () -> nodesOf(unchecked(calico::ourStatuses)).equals(reflectors));
        assertThat(calico.ourStatuses()).allSatisfy((name, status) -> assertThat(name)
                .isEqualTo(Names.PEER_NAME_PREFIX + status.node()));

        // calico-node on each route reflector: a session with each of the 11 other nodes, all up
        List<String> nodes = kubernetes.list().stream().map(node -> node.getMetadata().getName()).sorted().toList();
        Runnable calicoNode = () -> unchecked(() -> {
            for (Map.Entry<String, OurStatus> status : calico.ourStatuses().entrySet()) {
                if (!status.getValue().reported()) {
                    calico.reportEstablished(status.getKey(), nodes.stream()
                            .filter(node -> !node.equals(status.getValue().node())).map(DatastoresIT::address).toList());
                }
            }
            return null;
        });
        calicoNode.run();
        await("the reports are read", () -> reflectors.stream()
                .allMatch(rr -> Double.valueOf(11).equals(gauge(host, "calico_rr_bgp_sessions_established", rr))));
        assertThat(gauge(host, "calico_rr_bgp_session_checks")).isEqualTo(1.0);

        // a replaced route reflector: the old one goes only once the new one reports its sessions (the break gate)
        String replaced = reflectors.stream().sorted().findFirst().orElseThrow();
        kubernetes.cordon(replaced, true);
        await("a status for the replacement", () -> unchecked(calico::ourStatuses).size() == 4);
        await("the break gate holds the change for the replacement's sessions",
                () -> counter(host, "calico_rr_changes_held_back_total") >= 1);
        assertThat(reflectorNames(calico.observed(cp))).as("held while the replacement has not reported")
                .contains(replaced).hasSize(4);
        Set<String> after = reflectorNames(awaitTopology(cp, section, 3, calicoNode));
        assertThat(after).doesNotContain(replaced);
        await("the status of the node that is no longer a route reflector is gone", () ->
                nodesOf(unchecked(calico::ourStatuses)).equals(after));
    }

    private static Set<String> nodesOf(Map<String, OurStatus> statuses) {
        return statuses.values().stream().map(OurStatus::node).collect(Collectors.toSet());
    }

    /** The BGP address calico-node gives the i-th node of {@link #cluster} (node-000 is 198.18.0.1). */
    private static String address(String node) {
        return "198.18.0." + (Integer.parseInt(node.substring(node.lastIndexOf('-') + 1)) + 1);
    }

    /** calico-node's report: every session Established, as its status reporter writes {@code status}. */
    private static Map<String, Object> established(List<String> peerIps) {
        List<Map<String, Object>> peers = peerIps.stream().map(ip -> Map.<String, Object>of("peerIP", ip,
                "type", "NodePeer", "state", "Established", "since", "10:00:00")).toList();
        return Map.of("lastUpdated", Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString(),
                "bgp", Map.of("numberEstablishedV4", peers.size(), "numberNotEstablishedV4", 0,
                        "numberEstablishedV6", 0, "numberNotEstablishedV6", 0, "peersV4", peers));
    }

    /**
     * etcd holds whatever is put under the key; a value that is no KubeControllersConfiguration is
     * refused with an Event and left as it is, and the controller runs on as before. Without
     * {@code default} it runs on the defaults, and follows {@code default} once it is there.
     */
    @Test
    void inEtcdAMissingDefaultIsWaitedForAndAValueThatIsNoConfigurationIsLeftAsItIs(ControlPlane cp)
            throws Exception {
        cluster(Kind.ETCDV3, cp);
        CalicoEtcd etcd = ((Etcd) calico).etcd();
        startController(cp);
        awaitTopology(cp, Map.of(), 3); // no `default` yet: the defaults

        Map<String, Object> section = new LinkedHashMap<>(Map.of("min", 4, "removalDelay", "1s"));
        calico.createConfiguration(section);
        ClusterSnapshot converged = awaitTopology(cp, section, 4);
        await("the running configuration is reported", () -> runningConfig(calico).contains("\"min\":4"));
        Object before = calico.writes(cp);

        String notJson = "spec:\n  controllers:\n    routereflector:\n      min: 6\n";
        etcd.put(EtcdConfigurationStore.KEY, notJson);
        await("an Event names the key and says it is left as it is", () -> events(cp).stream().anyMatch(e ->
                "InvalidConfiguration".equals(e.getReason()) && e.getMessage().contains(EtcdConfigurationStore.KEY)
                        && e.getMessage().contains("holds no KubeControllersConfiguration")
                        && e.getMessage().contains("keeping the last good configuration")));
        awaitTwoMoreReconciles(host, cp);
        assertThat(etcd.value(EtcdConfigurationStore.KEY)).as("nothing written over it").contains(notJson);
        assertThat(calico.writes(cp)).as("writes after the bad value").isEqualTo(before);
        assertThat(reflectorNames(calico.observed(cp))).isEqualTo(reflectorNames(converged));

        section.put("min", 5);
        calico.createConfiguration(section); // the operator puts a good value again
        awaitTopology(cp, section, 5);

        etcd.delete(EtcdConfigurationStore.KEY);
        awaitTwoMoreReconciles(host, cp);
        assertThat(etcd.value(EtcdConfigurationStore.KEY)).as("not created beside upstream").isEmpty();
        awaitTopology(cp, section, 5); // the last configuration stays
    }

    /**
     * Beside Calico's own calico-kube-controllers in etcd mode (the pinned version, its node
     * controller on, as Calico's etcd manifests run it): it reads {@code default} from etcd too and
     * writes its status with libcalico-go's update of the whole value, which drops our section; the
     * controller writes it back and runs on, and then neither side writes any more.
     */
    @Test
    void inEtcdBesideUpstreamOurSectionSurvivesItsStatusWritesAndNeitherSideLoops(ControlPlane cp, TestInfo test)
            throws Exception {
        cluster(Kind.ETCDV3, cp);
        CalicoEtcd etcd = ((Etcd) calico).etcd();
        Map<String, Object> section = Map.of("min", 4, "removalDelay", "1s");
        calico.createConfiguration(section);
        startController(cp);
        awaitTopology(cp, section, 4);
        await("the running configuration is reported", () -> runningConfig(calico).contains("\"min\":4"));

        upstream = UpstreamKubeControllers.prepareForEtcd(cp, CalicoParts.build(cp.repo()),
                cp.workDir().resolve("upstream-" + test.getTestMethod().orElseThrow().getName()), etcd.environment())
                .start();
        RouteReflectorConfig wanted = config(section);
        await("upstream's status, and our section back beside it", () -> {
            JsonNode stored = unchecked(calico::configuration);
            Map<String, Object> ours = section(spec(calico));
            return stored.path("status").path("runningConfig").has("logSeverityScreen") && ours != null
                    && wanted.equals(unchecked(() -> config(ours)));
        });
        awaitTopology(cp, section, 4);

        // then nothing more: no status fight, no restore loop (two writers that loop do not rest 10 s)
        List<String> settled = awaitNoChangeFor(() -> etcd.keyRevisions(EtcdConfigurationStore.KEY),
                Duration.ofSeconds(10));
        awaitTwoMoreReconciles(host, cp);
        assertThat(etcd.keyRevisions(EtcdConfigurationStore.KEY)).as("default after two more reconciles")
                .isEqualTo(settled);
        assertThat(config(section(spec(calico)))).isEqualTo(wanted);
        assertThat(runningConfig(calico)).contains("\"min\":4");
        assertThat(Files.readString(upstream.log())).as("upstream ran on etcd").contains("Starting periodic etcdv3 compaction");
    }

    /** Waits (within the IT timeout) until {@code read} has not changed for {@code quiet}; returns it. */
    private static <T> T awaitNoChangeFor(java.util.concurrent.Callable<T> read, Duration quiet) throws Exception {
        Instant deadline = Instant.now().plus(TIMEOUT);
        T last = read.call();
        Instant since = Instant.now();
        while (Instant.now().isBefore(deadline)) {
            Thread.sleep(500);
            T now = read.call();
            if (!now.equals(last)) {
                last = now;
                since = Instant.now();
            } else if (!Instant.now().isBefore(since.plus(quiet))) {
                return now;
            }
        }
        throw new AssertionError("still changing after " + TIMEOUT + ": " + last);
    }

    /**
     * With {@code --standalone} (no calico-kube-controllers) the host creates a missing {@code default}
     * in etcd, as libcalico-go stores it (calicoctl reads it), and reports in its status there.
     */
    @Test
    void inEtcdStandaloneCreatesDefaultThereAndReportsInItsStatus(ControlPlane cp) throws Exception {
        cluster(Kind.ETCDV3, cp);
        host = new Host(LiveChecks.hostOptions("it", LEASE, calico.environment(), Map.of()).withModes(false, true),
                cp.controllerClient(), cp.newControllerClient(), List.of(new RouteReflectorPlugin()), () -> { });
        host.start();
        assertThat(calico.configuration().path("metadata").path("name").asText()).isEqualTo("default");
        awaitTopology(cp, Map.of(), 3);
        await("status.runningConfig in etcd", () -> unchecked(calico::configuration).path("status")
                .path("runningConfig").path("controllers").has("routereflector"));

        JsonNode read = ((Etcd) calico).etcd().get("kubecontrollersconfigurations").get(0);
        assertThat(read.path("metadata").path("uid").asText()).isNotEmpty();
        assertThat(read.path("spec").path("controllers").path("node").path("reconcilerPeriod").asText())
                .as("decoded into Calico's types").isEqualTo("5m0s");
        assertThat(read.path("status").path("runningConfig").path("logSeverityScreen").asText()).isEqualTo("Info");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> section(Map<String, Object> spec) {
        Object controllers = spec.get("controllers");
        return controllers instanceof Map<?, ?> map ? (Map<String, Object>) map.get("routereflector") : null;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> spec(Calico calico) {
        return unchecked(() -> JSON.convertValue(calico.configuration().path("spec"), Map.class));
    }

    /** Our running-config annotation on {@code default} as stored, or "". */
    private static String runningConfig(Calico calico) {
        return unchecked(() -> calico.configuration().path("metadata").path("annotations")
                .path(ConfigurationStore.RUNNING_CONFIG_ANNOTATION).asText(""));
    }

    /** For reads inside a wait's condition. */
    private static <T> T unchecked(java.util.concurrent.Callable<T> read) {
        try {
            return read.call();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** calicoctl's get of {@code default}, then its replace with this log level. */
    private static JsonNode rewriteWithCalicoctl(Path calicoctl, Path dir, Map<String, String> env,
            String logSeverityScreen) throws Exception {
        CalicoEtcd.Result replaced = null;
        for (int attempt = 0; attempt < 5; attempt++) { // as an operator does after "update conflict": again
            CalicoEtcd.Result got = CalicoEtcd.calicoctl(calicoctl, dir, env, Duration.ofSeconds(30), "get",
                    "kubecontrollersconfigurations", "default", "-o", "yaml");
            assertThat(got.ok()).as(got.output()).isTrue();
            JsonNode read = YAML.readTree(got.output());
            ((ObjectNode) read.get("spec")).put("logSeverityScreen", logSeverityScreen);
            Path file = Files.createTempFile(dir, "kcc", ".yaml");
            Files.writeString(file, YAML.writeValueAsString(read));
            replaced = CalicoEtcd.calicoctl(calicoctl, dir, env, Duration.ofSeconds(30), "replace", "-f",
                    file.toString());
            if (replaced.ok()) {
                return read;
            }
            if (!replaced.output().contains("conflict")) {
                break;
            }
        }
        throw new AssertionError("calicoctl replace failed: " + replaced.output());
    }

    /** 12 Kubernetes Nodes in 3 zones, registered with Calico as calico-node would register them. */
    private SimulatedNodes cluster(Kind kind, ControlPlane cp) throws Exception {
        calico = kind == Kind.KUBERNETES ? new Kdd(cp) : new Etcd(CalicoEtcd.start(cp));
        SimulatedNodes kubernetes = new SimulatedNodes(cp.adminClient());
        calico.register(kubernetes.createMany("node", 0, 12, ZONES));
        return kubernetes;
    }

    private void startController(ControlPlane cp) throws Exception {
        host = newHost(cp, cp.controllerClient(), cp.newControllerClient(), new RouteReflectorPlugin(), "it", LEASE,
                calico.environment(), Map.of(), false);
        host.start();
    }

    /** Waits until the datastore's view is what the planner wants, with {@code reflectors} RRs. */
    private ClusterSnapshot awaitTopology(ControlPlane cp, Map<String, Object> section, int reflectors)
            throws Exception {
        return awaitTopology(cp, section, reflectors, () -> { });
    }

    /** The same, running {@code eachRound} (calico-node's part) before each look. */
    private ClusterSnapshot awaitTopology(ControlPlane cp, Map<String, Object> section, int reflectors,
            Runnable eachRound) throws Exception {
        RouteReflectorConfig config = config(section);
        Instant deadline = Instant.now().plus(TIMEOUT);
        String last = "";
        while (Instant.now().isBefore(deadline)) {
            eachRound.run();
            ClusterSnapshot snapshot = calico.observed(cp);
            Plan plan = Planner.plan(snapshot, config, Instant.now());
            long rrs = snapshot.nodes().stream().filter(n -> n.labels().containsKey(RR)
                    && n.annotations().containsKey(Names.CLUSTER_ID_ANNOTATION)).count();
            if (plan.steps().isEmpty() && rrs == reflectors) {
                return snapshot;
            }
            last = rrs + " RRs, pending: " + plan.steps();
            Thread.sleep(200);
        }
        throw new AssertionError("no convergence to " + reflectors + " RRs within " + TIMEOUT + ": " + last);
    }

    private static Path yaml(ControlPlane cp, String text) throws Exception {
        Path file = Files.createTempFile(cp.workDir(), "calico", ".yaml");
        Files.writeString(file, text);
        return file;
    }

    /** KDD: the Kubernetes Node is the Calico Node; BGPPeers and {@code default} are CRs. */
    private record Kdd(ControlPlane cp) implements Calico {
        @Override
        public Map<String, String> environment() {
            return Map.of("DATASTORE_TYPE", "kubernetes");
        }

        @Override
        public void createConfiguration(Map<String, Object> section) {
            LiveChecks.createConfiguration(cp, section);
        }

        @Override
        public void editSection(String json) {
            LiveChecks.editSection(cp, json);
        }

        @Override
        public JsonNode configuration() throws Exception {
            var got = configs(cp).get("default");
            return got.isSuccess() ? JSON.readTree(cp.adminClient().getJSON().serialize(got.getObject()))
                    : JSON.missingNode();
        }

        @Override
        public JsonNode rewriteConfigurationWithCalicoctl(String logSeverityScreen) throws Exception {
            return rewriteWithCalicoctl(CalicoParts.build(cp.repo()).bin("calicoctl"), cp.workDir(),
                    Map.of("DATASTORE_TYPE", "kubernetes", "KUBECONFIG", cp.adminKubeconfig().toString()),
                    logSeverityScreen);
        }

        /** calico-node's BGP address annotation (as it writes at start in KDD). */
        @Override
        public void register(List<String> nodes) {
            SimulatedNodes kubernetes = new SimulatedNodes(cp.adminClient());
            nodes.forEach(node -> kubernetes.annotate(node, Names.IPV4_ADDRESS_ANNOTATION, address(node) + "/32"));
        }

        @Override
        public Map<String, OurStatus> ourStatuses() {
            Map<String, OurStatus> ours = new java.util.TreeMap<>();
            for (CalicoNodeStatus status : statuses(cp).list().getObject().getItems()) {
                if (SessionChecks.isOwned(status)) {
                    ours.put(status.getMetadata().getName(), new OurStatus(status.getSpec().getNode(),
                            status.getStatus() != null && status.getStatus().getLastUpdated() != null));
                }
            }
            return ours;
        }

        @Override
        public void reportEstablished(String status, List<String> peerIps) throws Exception {
            V1Patch patch = new V1Patch(JSON.writeValueAsString(Map.of("status", established(peerIps))));
            PatchUtils.patch(Object.class, () -> new CustomObjectsApi(cp.adminClient()).patchClusterCustomObjectStatus(
                    "crd.projectcalico.org", "v1", CalicoNodeStatus.PLURAL, status, patch).buildCall(null),
                    V1Patch.PATCH_FORMAT_JSON_MERGE_PATCH, cp.adminClient());
        }

        @Override
        public void createUserPeer() throws Exception {
            ProcessResult applied = cp.kubectl("apply", "-f", yaml(cp, "apiVersion: crd.projectcalico.org/v1\n"
                    + "kind: BGPPeer\nmetadata:\n  name: user-peer\nspec:\n  peerIP: 198.18.9.9\n  asNumber: 64512\n")
                    .toString());
            assertThat(applied.ok()).as(applied.stderr()).isTrue();
        }

        @Override
        public JsonNode userPeer() throws Exception {
            ProcessResult got = cp.kubectl("get", "bgppeers.crd.projectcalico.org", "user-peer", "-o", "json");
            assertThat(got.ok()).as(got.stderr()).isTrue();
            return JSON.readTree(got.stdout());
        }

        @Override
        public ClusterSnapshot observed(ControlPlane cp) {
            return LiveChecks.observed(cp);
        }

        @Override
        public Object writes(ControlPlane cp) {
            return cp.controllerWrites().stream().filter(w -> Set.of("nodes", "bgppeers").contains(w.resource())).count();
        }

        /** Read from the Kubernetes Nodes and BGPPeer CRs: that is where the snapshot came from. */
        @Override
        public void checkWhereOursIs(ControlPlane cp, ClusterSnapshot snapshot) {
            assertThat(peers(cp).list().getObject().getItems()).hasSize(snapshot.ownedPeers().size() + 1);
        }

        @Override
        public void close() {
        }
    }

    /**
     * etcdv3: Calico Nodes and BGPPeers in Calico's etcd, created and read back with calicoctl;
     * {@code default} under its key, put there as with etcdctl.
     */
    private record Etcd(CalicoEtcd etcd) implements Calico {
        @Override
        public Map<String, String> environment() {
            return etcd.environment();
        }

        @Override
        public void createConfiguration(Map<String, Object> section) throws Exception {
            Map<String, Object> value = new LinkedHashMap<>();
            value.put("kind", "KubeControllersConfiguration");
            value.put("apiVersion", "projectcalico.org/v3");
            // as libcalico-go stores it (calico-kube-controllers creates it): Calico's client updates only such a value
            value.put("metadata", Map.of("name", "default", "uid", java.util.UUID.randomUUID().toString(),
                    "creationTimestamp", Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString()));
            value.put("spec", LiveChecks.configurationSpec(section));
            etcd.put(EtcdConfigurationStore.KEY, JSON.writeValueAsString(value));
        }

        /** Read, changed and put back, as with etcdctl get and put. */
        @Override
        public void editSection(String json) throws Exception {
            JsonElement stored = JsonParser.parseString(etcd.value(EtcdConfigurationStore.KEY).orElseThrow());
            JsonElement patch = JsonParser.parseString("{\"spec\":{\"controllers\":{\"routereflector\":" + json + "}}}");
            etcd.put(EtcdConfigurationStore.KEY, EtcdValues.mergePatch(stored, patch).toString());
        }

        @Override
        public JsonNode configuration() throws Exception {
            var value = etcd.value(EtcdConfigurationStore.KEY);
            return value.isPresent() ? JSON.readTree(value.get()) : JSON.missingNode();
        }

        @Override
        public JsonNode rewriteConfigurationWithCalicoctl(String logSeverityScreen) throws Exception {
            return rewriteWithCalicoctl(etcd.calicoctlBinary(), etcd.workDir(), etcd.environment(), logSeverityScreen);
        }

        @Override
        public void register(List<String> nodes) throws Exception {
            // client certificate authentication is on: without ours, Calico's own client is refused
            assertThat(etcd.calicoctl(etcd.environmentWithoutClientCertificate(), Duration.ofSeconds(3), "get",
                    "nodes").ok()).isFalse();
            assertThat(etcd.log()).contains("client didn't provide a certificate");
            StringBuilder yaml = new StringBuilder();
            for (int i = 0; i < nodes.size(); i++) {
                // a Calico Node with its BGP address, no labels of ours
                yaml.append("---\napiVersion: projectcalico.org/v3\nkind: Node\nmetadata:\n  name: ").append(nodes.get(i))
                        .append("\n  labels:\n    kubernetes.io/hostname: ").append(nodes.get(i))
                        .append("\nspec:\n  bgp:\n    ipv4Address: ").append(address(nodes.get(i))).append("/32\n");
            }
            etcd.apply(yaml.toString());
        }

        @Override
        public void createUserPeer() throws Exception {
            etcd.apply("apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata:\n  name: user-peer\n"
                    + "spec:\n  peerIP: 198.18.9.9\n  asNumber: 64512\n");
        }

        @Override
        public JsonNode userPeer() throws Exception {
            return byName(etcd.get("bgppeers")).get("user-peer");
        }

        /**
         * Kubernetes Nodes with the labels and cluster ID calicoctl shows on their Calico Nodes (ours
         * from there, the rest from Kubernetes), and the BGPPeers calicoctl shows that we manage.
         */
        @Override
        public ClusterSnapshot observed(ControlPlane cp) throws Exception {
            Map<String, JsonNode> stored = byName(etcd.get("nodes"));
            List<NodeFacts> nodes = new ArrayList<>();
            for (V1Node node : new SimulatedNodes(cp.adminClient()).list()) {
                NodeFacts facts = NodeFactsReader.read(node);
                JsonNode calicoNode = stored.get(facts.name());
                Map<String, String> labels = new HashMap<>(facts.labels());
                calicoNode.path("metadata").path("labels").fields()
                        .forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
                // ours and Calico's from the Calico Node; others' (an autoscaler's) from the Kubernetes Node
                Map<String, String> annotations = new HashMap<>();
                facts.annotations().forEach((key, value) -> {
                    if (!key.startsWith(OURS) && !key.startsWith("projectcalico.org/")) {
                        annotations.put(key, value);
                    }
                });
                calicoNode.path("metadata").path("annotations").fields().forEachRemaining(e -> {
                    if (e.getKey().startsWith(OURS)) {
                        annotations.put(e.getKey(), e.getValue().asText());
                    }
                });
                JsonNode clusterId = calicoNode.path("spec").path("bgp").path("routeReflectorClusterID");
                if (!clusterId.isMissingNode()) {
                    annotations.put(Names.CLUSTER_ID_ANNOTATION, clusterId.asText());
                }
                nodes.add(new NodeFacts(facts.name(), labels, annotations, facts.ready(), facts.unschedulable(),
                        facts.taints(), facts.created()));
            }
            List<PeerFacts> owned = new ArrayList<>();
            for (JsonNode peer : etcd.get("bgppeers")) {
                if (Names.CONTROLLER_NAME.equals(peer.path("metadata").path("labels").path(Names.MANAGED_BY_LABEL)
                        .asText())) {
                    owned.add(new PeerFacts(peer.path("metadata").path("name").asText(),
                            peer.path("spec").path("nodeSelector").asText(""),
                            peer.path("spec").path("peerSelector").asText("")));
                }
            }
            return new ClusterSnapshot(nodes, owned);
        }

        @Override
        public Map<String, OurStatus> ourStatuses() throws Exception {
            Map<String, OurStatus> ours = new java.util.TreeMap<>();
            for (String value : etcd.values(EtcdKeys.prefix(CalicoNodeStatus.PLURAL))) {
                JsonNode status = JSON.readTree(value);
                if (Names.CONTROLLER_NAME.equals(status.path("metadata").path("labels").path(Names.MANAGED_BY_LABEL)
                        .asText())) {
                    ours.put(status.path("metadata").path("name").asText(), new OurStatus(
                            status.path("spec").path("node").asText(), status.path("status").has("lastUpdated")));
                }
            }
            return ours;
        }

        /** As libcalico-go's update from the status reporter: the whole value, with its status. */
        @Override
        public void reportEstablished(String status, List<String> peerIps) throws Exception {
            String key = EtcdKeys.key(CalicoNodeStatus.PLURAL, status);
            ObjectNode value = (ObjectNode) JSON.readTree(etcd.value(key).orElseThrow());
            value.set("status", JSON.valueToTree(established(peerIps)));
            etcd.put(key, JSON.writeValueAsString(value));
        }

        /** Every Calico Node and BGPPeer key with its mod revision. */
        @Override
        public Object writes(ControlPlane cp) throws Exception {
            return List.of(etcd.keyRevisions(EtcdKeys.prefix(EtcdKeys.NODES)), etcd.keyRevisions(EtcdKeys.prefix("bgppeers")));
        }

        /** In etcd, and nothing of ours in the Kubernetes datastore: no labels on its Nodes, no BGPPeer CRs. */
        @Override
        public void checkWhereOursIs(ControlPlane cp, ClusterSnapshot snapshot) throws Exception {
            Map<String, JsonNode> stored = byName(etcd.get("nodes"));
            for (NodeFacts node : snapshot.nodes()) {
                // what calico-node registered is kept
                assertThat(stored.get(node.name()).path("spec").path("bgp").path("ipv4Address").asText())
                        .startsWith("198.18.0.");
            }
            assertThat(new SimulatedNodes(cp.adminClient()).list()).allSatisfy(node -> assertThat(node.getMetadata()
                    .getLabels().keySet()).noneMatch(key -> key.equals(RR) || key.startsWith(Names.CONTROLLER_NAME + "/")));
            assertThat(peers(cp).list().getObject().getItems()).isEmpty();
        }

        @Override
        public void close() {
            etcd.close();
        }
    }

    private static Map<String, JsonNode> byName(List<JsonNode> items) {
        return items.stream().collect(Collectors.toMap(item -> item.path("metadata").path("name").asText(),
                Function.identity()));
    }
}
