package dev.calicorr.routereflector.apply;

import static dev.calicorr.routereflector.apply.LiveChecks.RR;
import static dev.calicorr.routereflector.apply.LiveChecks.TIMEOUT;
import static dev.calicorr.routereflector.apply.LiveChecks.ZONES;
import static dev.calicorr.routereflector.apply.LiveChecks.await;
import static dev.calicorr.routereflector.apply.LiveChecks.awaitTwoMoreReconciles;
import static dev.calicorr.routereflector.apply.LiveChecks.config;
import static dev.calicorr.routereflector.apply.LiveChecks.counter;
import static dev.calicorr.routereflector.apply.LiveChecks.events;
import static dev.calicorr.routereflector.apply.LiveChecks.gauge;
import static dev.calicorr.routereflector.apply.LiveChecks.newHost;
import static dev.calicorr.routereflector.apply.LiveChecks.reconciles;
import static dev.calicorr.routereflector.apply.LiveChecks.reflectorNames;
import static dev.calicorr.routereflector.apply.LiveChecks.statuses;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.calicorr.core.etcd.EtcdConfigurationStore;
import dev.calicorr.core.kube.ConfigurationStore;
import dev.calicorr.core.runtime.Host;
import dev.calicorr.routereflector.RouteReflectorPlugin;
import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.datastore.CalicoEtcd;
import dev.calicorr.routereflector.kube.CalicoNodeStatus;
import dev.calicorr.routereflector.model.ClusterSnapshot;
import dev.calicorr.routereflector.model.Names;
import dev.calicorr.routereflector.model.NodeFacts;
import dev.calicorr.routereflector.plan.Plan;
import dev.calicorr.routereflector.plan.Planner;
import dev.calicorr.routereflector.sim.Bgp;
import dev.calicorr.testsupport.ControlPlane;
import dev.calicorr.testsupport.RealControlPlane;
import dev.calicorr.testsupport.SimulatedNodes;
import dev.calicorr.testsupport.bgp.CalicoParts;
import dev.calicorr.testsupport.bgp.UpstreamKubeControllers;
import io.kubernetes.client.openapi.models.V1Node;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
    private Host host;
    private Calico calico;
    private UpstreamKubeControllers upstream;

    enum Kind { KUBERNETES, ETCDV3 }

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
            for (Map.Entry<String, Calico.OurStatus> status : calico.ourStatuses().entrySet()) {
                if (!status.getValue().reported()) {
                    calico.reportEstablished(status.getKey(), nodes.stream()
                            .filter(node -> !node.equals(status.getValue().node())).map(Calico::address).toList());
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

    private static Set<String> nodesOf(Map<String, Calico.OurStatus> statuses) {
        return statuses.values().stream().map(Calico.OurStatus::node).collect(Collectors.toSet());
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
        CalicoEtcd etcd = ((EtcdCalico) calico).etcd();
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
        CalicoEtcd etcd = ((EtcdCalico) calico).etcd();
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

        JsonNode read = ((EtcdCalico) calico).etcd().get("kubecontrollersconfigurations").get(0);
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
        return unchecked(() -> Calico.JSON.convertValue(calico.configuration().path("spec"), Map.class));
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

    /** 12 Kubernetes Nodes in 3 zones, registered with Calico as calico-node would register them. */
    private SimulatedNodes cluster(Kind kind, ControlPlane cp) throws Exception {
        calico = kind == Kind.KUBERNETES ? new KddCalico(cp) : new EtcdCalico(CalicoEtcd.start(cp));
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

}
