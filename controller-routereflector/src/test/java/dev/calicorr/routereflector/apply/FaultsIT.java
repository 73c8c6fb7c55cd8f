package dev.calicorr.routereflector.apply;

import static dev.calicorr.routereflector.apply.LiveChecks.LEASE_NAME;
import static dev.calicorr.routereflector.apply.LiveChecks.LEASE_NAMESPACE;
import static dev.calicorr.routereflector.apply.LiveChecks.RR;
import static dev.calicorr.routereflector.apply.LiveChecks.ZONES;
import static dev.calicorr.routereflector.apply.LiveChecks.await;
import static dev.calicorr.routereflector.apply.LiveChecks.awaitConverged;
import static dev.calicorr.routereflector.apply.LiveChecks.awaitTopology;
import static dev.calicorr.routereflector.apply.LiveChecks.config;
import static dev.calicorr.routereflector.apply.LiveChecks.createConfiguration;
import static dev.calicorr.routereflector.apply.LiveChecks.editSection;
import static dev.calicorr.routereflector.apply.LiveChecks.events;
import static dev.calicorr.routereflector.apply.LiveChecks.newHost;
import static dev.calicorr.routereflector.apply.LiveChecks.observed;
import static dev.calicorr.routereflector.apply.LiveChecks.peers;
import static dev.calicorr.routereflector.apply.LiveChecks.reflectorNames;
import static dev.calicorr.routereflector.apply.LiveChecks.reflectorsPerZone;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.Gson;
import dev.calicorr.core.runtime.Host;
import dev.calicorr.routereflector.RouteReflectorPlugin;
import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.kube.BgpPeer;
import dev.calicorr.routereflector.metrics.RouteReflectorMetrics;
import dev.calicorr.routereflector.model.ClusterSnapshot;
import dev.calicorr.routereflector.model.Names;
import dev.calicorr.routereflector.model.NodeFacts;
import dev.calicorr.routereflector.model.PeerFacts;
import dev.calicorr.routereflector.plan.Plan;
import dev.calicorr.routereflector.plan.Planner;
import dev.calicorr.routereflector.plan.Step;
import dev.calicorr.routereflector.sim.Bgp;
import dev.calicorr.testsupport.AuditedWrite;
import dev.calicorr.testsupport.ControlPlane;
import dev.calicorr.testsupport.RealControlPlane;
import dev.calicorr.testsupport.SimulatedNodes;
import io.kubernetes.client.custom.V1Patch;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.apis.CoordinationV1Api;
import io.kubernetes.client.openapi.models.V1Node;
import io.kubernetes.client.openapi.models.V1NodeList;
import io.kubernetes.client.util.generic.GenericKubernetesApi;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Faults against the real control plane (design §5): a leader that crashes mid-apply, an apiserver
 * outage, a crash between any two apply steps, other writers changing what we manage, and a random
 * soak of node and config events. Each waits generously, and asserts the state reached, never speed.
 */
@RealControlPlane
class FaultsIT {
    private static final Duration LEASE = Duration.ofSeconds(4);

    private final List<Host> hosts = new ArrayList<>();

    @AfterEach
    void stop() {
        Collections.reverse(hosts);
        hosts.forEach(Host::close);
    }

    private Host start(Host host) throws Exception {
        hosts.add(host);
        host.start();
        return host;
    }

    private Host startPlain(ControlPlane cp, String identity) throws Exception {
        return start(newHost(cp, new RouteReflectorPlugin(), identity, LEASE));
    }

    private void close(Host host) {
        host.close();
        hosts.remove(host);
    }

    @Test
    void aLeaderThatCrashesMidApplyKeepsItsLeaseUntilItExpiresThenTheStandbyConvergesWithNothingDuplicatedOrLost(
            ControlPlane cp) throws Exception {
        new SimulatedNodes(cp.adminClient()).createMany("node", 0, 60, ZONES);
        Map<String, Object> section = Map.of("ratio", 0.1, "removalDelay", "2s");
        RouteReflectorConfig config = config(section);
        createConfiguration(cp, section);
        // A crash as the cluster sees it: from one moment on, nothing of the process reaches the
        // apiserver, not even the Lease release a clean shutdown would do.
        AtomicBoolean gone = new AtomicBoolean();
        CrashAfter crash = new CrashAfter(20, () -> gone.set(true));
        Host leader = start(newHost(cp, severable(cp.newControllerClient(), gone), severable(cp.newControllerClient(),
                gone), new CapturingPlugin(new AtomicReference<>(), crash), "a", LEASE, Map.of(), Map.of(), false));
        await("a leads", leader::isLeader);
        Host standby = startPlain(cp, "b");

        await("a crashes after 20 writes", crash.crashed::get);
        ClusterSnapshot atCrash = observed(cp);
        assertThat(reflectorNames(atCrash)).as("route reflectors labelled before the crash").isNotEmpty();
        assertThat(Planner.plan(atCrash, config, Instant.now()).steps()).as("crashed mid-apply").isNotEmpty();
        assertThat(leaseHolder(cp)).as("a crashed process does not release its Lease").isEqualTo("a");
        assertThat(standby.isLeader()).isFalse();

        await("b takes over once a's Lease expires", standby::isLeader);
        assertThat(leaseHolder(cp)).isEqualTo("b");
        ClusterSnapshot converged = awaitTopology(cp, section, 6);
        Plan fresh = Planner.plan(converged, config, Instant.now());
        assertThat(fresh.steps()).isEmpty();
        // nothing duplicated: every BGPPeer we own is one the fresh plan wants, each once
        List<String> owned = peers(cp).list().getObject().getItems().stream().filter(StepExecutor::isOwned)
                .map(p -> p.getMetadata().getName()).toList();
        assertThat(owned).doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(fresh.desiredPeers().stream().map(PeerFacts::name).toList());
        assertThat(converged.ownedPeers()).containsExactlyInAnyOrderElementsOf(fresh.desiredPeers());
        assertThat(reflectorsPerZone(converged)).containsExactly(Map.entry("a", 2L), Map.entry("b", 2L),
                Map.entry("c", 2L));
        assertThat(converged.nodes().stream().map(n -> n.annotations().get(Names.CLUSTER_ID_ANNOTATION))
                .filter(id -> id != null)).doesNotHaveDuplicates().hasSize(6);
        // nothing lost: every client is in a group, and every node learns every route without the mesh
        assertThat(converged.nodes()).filteredOn(n -> !n.labels().containsKey(RR))
                .allMatch(n -> n.labels().containsKey(Names.GROUP_LABEL));
        assertThat(new Bgp(converged.nodes(), converged.ownedPeers(), false, Set.of()).unreachable()).isEmpty();
        // b finishing a's plan is not mistaken for undoing someone else's edit
        assertThat(events(cp)).noneMatch(e -> "ManagedObjectRestored".equals(e.getReason()));
    }

    @Test
    void aThirtySecondApiOutageTearsNothingDownAndTheControllerFollowsTheNextChange(ControlPlane cp)
            throws Exception {
        new SimulatedNodes(cp.adminClient()).createMany("node", 0, 30, ZONES);
        Map<String, Object> section = Map.of("ratio", 0.1, "removalDelay", "2s");
        createConfiguration(cp, section);
        // the leader keeps its Lease through the outage
        Host host = start(newHost(cp, new RouteReflectorPlugin(), "it", Duration.ofSeconds(60)));
        ClusterSnapshot before = awaitTopology(cp, section, 3);

        double writesBefore = writesAttempted(host);
        List<String> duringOutage;
        try (CapturedLog log = new CapturedLog()) {
            cp.stopApiServer();
            Thread.sleep(30_000); // the outage itself, not a wait for a result
            cp.startApiServer();
            duringOutage = log.lines();
        }
        // blind, the controller decides nothing: no write attempted (failed ones count too), nothing planned
        assertThat(writesAttempted(host)).isEqualTo(writesBefore);
        assertThat(duringOutage).noneMatch(l -> l.contains("[RouteReflectorReconciler]") || l.contains("[StepExecutor]"));
        int afterOutage = cp.controllerWrites().size();
        ClusterSnapshot after = observed(cp);
        assertThat(reflectorNames(after)).isEqualTo(reflectorNames(before));
        assertThat(after.ownedPeers()).containsExactlyInAnyOrderElementsOf(before.ownedPeers());
        assertThat(host.isLeader()).isTrue();

        // the controller watches again and follows a change made after the outage
        new SimulatedNodes(cp.adminClient()).createMany("node", 30, 30, ZONES);
        ClusterSnapshot grown = awaitTopology(cp, section, 6);
        assertThat(reflectorNames(grown)).containsAll(reflectorNames(before));
        assertThat(new Bgp(grown.nodes(), grown.ownedPeers(), false, Set.of()).unreachable()).isEmpty();
        // as the apiserver saw it: after the outage no route reflector lost its label or annotation
        List<AuditedWrite> writes = cp.controllerWrites(); // once: the audit log grows while we read it
        assertThat(writes.subList(afterOutage, writes.size()))
                .filteredOn(w -> "nodes".equals(w.resource()) && reflectorNames(before).contains(w.name()))
                .isEmpty();
        // the caches that re-listed after the outage are not mistaken for someone else's edits
        assertThat(events(cp)).noneMatch(e -> "ManagedObjectRestored".equals(e.getReason()));
    }

    @Test
    void aControllerThatCrashesBetweenAnyTwoApplyStepsLeavesEveryClientAReflectorAndTheNextConvergesToTheSameState(
            ControlPlane cp) throws Exception {
        new SimulatedNodes(cp.adminClient()).createMany("node", 0, 12, ZONES);
        Map<String, Object> single = Map.of("min", 4, "topologyType", "single", "removalDelay", "1s");
        Map<String, Object> multi = Map.of("min", 4, "topologyType", "multi", "removalDelay", "1s");
        RouteReflectorConfig multiConfig = config(multi);
        createConfiguration(cp, single);
        Host first = startPlain(cp, "start");
        ClusterSnapshot start = awaitTopology(cp, single, 4);
        close(first);

        // single -> multi: new peers, a cluster ID per RR, every client moved, the old peer removed
        editSection(cp, "{\"topologyType\":\"multi\"}");
        CrashAfter counter = new CrashAfter(Integer.MAX_VALUE, () -> { });
        Host whole = start(newHost(cp, new CapturingPlugin(new AtomicReference<>(), counter), "uninterrupted",
                LEASE));
        Map<String, String> reference = managedState(awaitTopology(cp, multi, 4));
        close(whole);
        int steps = counter.steps.get();
        assertThat(steps).as("steps of the uninterrupted switch").isGreaterThan(10);

        for (int i = 1; i < steps; i++) {
            restore(cp, start);
            CrashAfter crash = new CrashAfter(i, () -> { });
            Host mortal = start(newHost(cp, new CapturingPlugin(new AtomicReference<>(), crash), "crashes-after-" + i,
                    LEASE));
            await("a crash after step " + i, crash.crashed::get);
            close(mortal);

            ClusterSnapshot crashed = observed(cp);
            assertThat(Planner.plan(crashed, multiConfig, Instant.now()).steps()).as("left mid-switch at step %d", i)
                    .isNotEmpty();
            Bgp bgp = new Bgp(crashed.nodes(), crashed.ownedPeers(), false, Set.of());
            for (NodeFacts node : crashed.nodes()) {
                if (!node.annotations().containsKey(Names.CLUSTER_ID_ANNOTATION)) {
                    assertThat(bgp.hasReflector(node.name())).as("after step %d: %s has a route reflector", i,
                            node.name()).isTrue();
                }
            }
            assertThat(bgp.unreachable()).as("routes after step %d", i).isEmpty();

            Host next = startPlain(cp, "restarted-" + i);
            assertThat(managedState(awaitTopology(cp, multi, 4))).as("converged after a crash after step %d", i)
                    .isEqualTo(reference);
            close(next);
        }
    }

    @Test
    void handEditsOfAManagedPeerOrAnRrLabelAreRestoredAndReportedAlsoAfterARestart(ControlPlane cp)
            throws Exception {
        new SimulatedNodes(cp.adminClient()).createMany("node", 0, 30, ZONES);
        Map<String, Object> section = Map.of("ratio", 0.1, "removalDelay", "2s");
        createConfiguration(cp, section);
        close(startPlainAndAwait(cp, section, "first"));
        // a restarted controller knows nothing of its predecessor's writes but what the objects carry
        Host restarted = startPlain(cp, "restarted");
        ClusterSnapshot before = awaitTopology(cp, section, 3);
        assertThat(events(cp)).as("our own writes are not reported as restores")
                .noneMatch(e -> "ManagedObjectRestored".equals(e.getReason()));
        PeerFacts mesh = before.ownedPeers().stream().filter(p -> p.name().equals("rrc-mesh")).findFirst().orElseThrow();
        String reflector = reflectorNames(before).stream().sorted().findFirst().orElseThrow();

        try (CapturedLog log = new CapturedLog()) {
            var edited = peers(cp).patch("rrc-mesh", V1Patch.PATCH_FORMAT_JSON_MERGE_PATCH,
                    new V1Patch("{\"spec\":{\"peerSelector\":\"has(somewhere-else)\"}}"));
            assertThat(edited.isSuccess()).as("%s", edited.getStatus()).isTrue();
            new SimulatedNodes(cp.adminClient()).label(reflector, RR, null);

            await("both are restored", () -> {
                ClusterSnapshot now = observed(cp);
                return now.ownedPeers().contains(mesh) && reflectorNames(now).equals(reflectorNames(before));
            });
            await("the restores are reported as Events", () -> events(cp).stream()
                    .filter(e -> "ManagedObjectRestored".equals(e.getReason()))
                    .map(e -> e.getInvolvedObject().getKind() + "/" + e.getInvolvedObject().getName())
                    .collect(Collectors.toSet()).containsAll(Set.of("BGPPeer/rrc-mesh", "Node/" + reflector)));
            assertThat(log.lines()).anyMatch(l -> l.startsWith("WARN") && l.contains("BGPPeer rrc-mesh")
                    && l.contains("restoring"));
            assertThat(log.lines()).anyMatch(l -> l.startsWith("WARN") && l.contains("node " + reflector)
                    && l.contains("restoring"));

            // and again within the same process, on a group peer
            PeerFacts group = before.ownedPeers().stream().filter(p -> !p.name().equals("rrc-mesh")).findFirst()
                    .orElseThrow();
            var again = peers(cp).patch(group.name(), V1Patch.PATCH_FORMAT_JSON_MERGE_PATCH,
                    new V1Patch("{\"spec\":{\"nodeSelector\":\"all()\"}}"));
            assertThat(again.isSuccess()).as("%s", again.getStatus()).isTrue();
            await("the group peer is restored", () -> observed(cp).ownedPeers().contains(group));
            await("and reported", () -> events(cp).stream().anyMatch(e -> "ManagedObjectRestored".equals(e.getReason())
                    && group.name().equals(e.getInvolvedObject().getName())));
            assertThat(log.lines()).anyMatch(l -> l.startsWith("WARN") && l.contains("BGPPeer " + group.name())
                    && l.contains("restoring"));
        }
        assertThat(awaitTopology(cp, section, 3).ownedPeers()).containsExactlyInAnyOrderElementsOf(before.ownedPeers());
        var restores = (CounterSnapshot) restarted.registry().scrape().stream()
                .filter(m -> m.getMetadata().getName().equals("calico_rr_managed_objects_restored")).findFirst()
                .orElseThrow();
        assertThat(restores.getDataPoints().stream().collect(Collectors.toMap(d -> d.getLabels().get("kind"),
                d -> d.getValue()))).containsEntry("bgppeer", 2.0).containsEntry("node", 1.0);
    }

    private Host startPlainAndAwait(ControlPlane cp, Map<String, Object> section, String identity) throws Exception {
        Host host = startPlain(cp, identity);
        awaitTopology(cp, section, 3);
        return host;
    }

    @Test
    void aRandomEventSoakOn500NodesNeverLeavesAClientWithoutAReflector(ControlPlane cp) throws Exception {
        long seed = Long.getLong("soak.seed", System.nanoTime());
        int count = Integer.getInteger("soak.events", 2000);
        System.out.println("soak: seed " + seed + ", " + count + " events (-Dsoak.seed=" + seed + " repeats it)");
        Random random = new Random(seed);
        SimulatedNodes nodes = new SimulatedNodes(cp.adminClient());
        GenericKubernetesApi<V1Node, V1NodeList> nodeApi =
                new GenericKubernetesApi<>(V1Node.class, V1NodeList.class, "", "v1", "nodes", cp.adminClient());
        List<String> names = new ArrayList<>(nodes.createMany("node", 0, 500, ZONES));
        String rackLabel = RouteReflectorConfig.DEFAULT_RACK_LABEL; // for the hierarchy topology: 10 racks
        names.parallelStream().forEach(n -> nodes.label(n, rackLabel, "rack-" + Math.floorMod(n.hashCode(), 10)));
        // notReadyGrace 0s: a NotReady route reflector is replaced at once, as the soak's checks expect
        Map<String, Object> section = new LinkedHashMap<>(Map.of("ratio", 0.02, "removalDelay", "1s",
                "notReadyGrace", "0s"));
        createConfiguration(cp, section);
        startPlain(cp, "soak");

        // Between events the controller may be mid-apply: a sampler checks what must hold at every
        // moment. A node with a cluster ID leaves the node-to-node mesh at once, so the controller
        // gives it one only while it carries the RR label (the label goes first, the ID last).
        List<String> violations = new CopyOnWriteArrayList<>();
        AtomicInteger samples = new AtomicInteger();
        AtomicBoolean soaking = new AtomicBoolean(true);
        Thread sampler = new Thread(() -> {
            while (soaking.get()) {
                try {
                    for (NodeFacts node : observed(cp).nodes()) {
                        if (node.annotations().containsKey(Names.CLUSTER_ID_ANNOTATION) && !node.labels().containsKey(RR)) {
                            violations.add(node.name() + " has a cluster ID without the RR label");
                        }
                    }
                    samples.incrementAndGet();
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    // a LIST that failed is no sample
                }
            }
        }, "soak-sampler");
        sampler.start();
        int next = 500;
        try {
            for (int e = 0; e < count; e++) {
                String victim = names.get(random.nextInt(names.size()));
                String event;
                switch (random.nextInt(9)) {
                    case 0 -> {
                        String name = String.format("node-%03d", next++);
                        nodes.create(SimulatedNodes.node(name).zone(ZONES.get(random.nextInt(ZONES.size())))
                                .label(rackLabel, "rack-" + random.nextInt(10)));
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
                        boolean tainted = nodes.get(victim).getSpec().getTaints() != null
                                && !nodes.get(victim).getSpec().getTaints().isEmpty();
                        if (tainted) {
                            var untainted = nodeApi.patch(victim, V1Patch.PATCH_FORMAT_JSON_MERGE_PATCH,
                                    new V1Patch("{\"spec\":{\"taints\":null}}"));
                            assertThat(untainted.isSuccess()).as("%s", untainted.getStatus()).isTrue();
                        } else {
                            nodes.taint(victim, "example.com/maintenance", "NoSchedule");
                        }
                        event = (tainted ? "untaint " : "taint NoSchedule ") + victim;
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
                        section.put("min", List.of(3, 5).get(random.nextInt(2)));
                        section.put("topologyType", List.of("single", "multi", "quorum", "hierarchy")
                                .get(random.nextInt(4)));
                        editSection(cp, new Gson().toJson(section));
                        event = "edit " + section;
                    }
                    default -> {
                        event = "nothing";
                    }
                }
                String context = "seed " + seed + ", event " + e + ": " + event;
                ClusterSnapshot converged = awaitConverged(cp, section, context);
                // After many random events every node may be ineligible and every RR down: then no
                // reflector can exist, nothing is torn down, and routes flow over the node-to-node
                // mesh (on in this test), so that is what is checked.
                RouteReflectorConfig soakConfig = LiveChecks.config(section);
                boolean reflectorPossible = converged.nodes().stream()
                        .anyMatch(n -> Planner.ineligibility(n, soakConfig) == null
                                || n.ready() && n.annotations().containsKey(Names.CLUSTER_ID_ANNOTATION));
                Bgp bgp = new Bgp(converged.nodes(), converged.ownedPeers(), !reflectorPossible, Set.of());
                Map<String, NodeFacts> byName = converged.nodes().stream()
                        .collect(Collectors.toMap(NodeFacts::name, n -> n));
                for (String node : bgp.upNodes()) {
                    if (reflectorPossible && !byName.get(node).annotations().containsKey(Names.CLUSTER_ID_ANNOTATION)
                            && bgp.upNodes().size() > 1) {
                        assertThat(bgp.hasReflector(node)).as("%s: %s has no route reflector", context, node).isTrue();
                    }
                }
                // full route propagation costs ~1 s on 500 nodes: every 10th event and the last
                if (e % 10 == 9 || e == count - 1) {
                    assertThat(bgp.unreachable()).as("%s: routes not learned", context).isEmpty();
                }
                assertThat(violations).as("%s: sampled mid-apply", context).isEmpty();
            }
        } finally {
            soaking.set(false);
            sampler.interrupt();
            sampler.join();
        }
        assertThat(samples.get()).as("the sampler looked while the soak ran").isGreaterThan(count / 10);
    }

    /** API writes the controller made or tried, as its own metric counts them (failures included). */
    private static double writesAttempted(Host host) {
        return host.registry().scrape().stream().filter(m -> m.getMetadata().getName().equals("calico_rr_api_writes"))
                .flatMap(m -> ((CounterSnapshot) m).getDataPoints().stream()).mapToDouble(d -> d.getValue()).sum();
    }

    private static String leaseHolder(ControlPlane cp) throws Exception {
        return new CoordinationV1Api(cp.adminClient()).readNamespacedLease(LEASE_NAME, LEASE_NAMESPACE).execute()
                .getSpec().getHolderIdentity();
    }

    /** A client that fails every request once {@code gone} is set, as if its process had died. */
    private static ApiClient severable(ApiClient client, AtomicBoolean gone) {
        client.setHttpClient(client.getHttpClient().newBuilder().addInterceptor(chain -> {
            if (gone.get()) {
                throw new IOException("simulated crash: this process is gone");
            }
            return chain.proceed(chain.request());
        }).build());
        return client;
    }

    private static final List<String> MANAGED_LABELS = List.of(RR, Names.RR_INDEX_LABEL, Names.GROUP_LABEL);
    private static final List<String> MANAGED_ANNOTATIONS = List.of(Names.CLUSTER_ID_ANNOTATION,
            Names.SERVING_SINCE_ANNOTATION);

    /** What the controller manages, without timestamps: each node's role, index, group and cluster ID; each peer. */
    private static Map<String, String> managedState(ClusterSnapshot snapshot) {
        Map<String, String> state = new TreeMap<>();
        for (NodeFacts node : snapshot.nodes()) {
            state.put("node " + node.name(), MANAGED_LABELS.stream().map(k -> k + "=" + node.labels().get(k))
                    .collect(Collectors.joining(",")) + " clusterID=" + node.annotations().get(Names.CLUSTER_ID_ANNOTATION));
        }
        for (PeerFacts peer : snapshot.ownedPeers()) {
            state.put("peer " + peer.name(), peer.nodeSelector() + " -> " + peer.peerSelector());
        }
        return state;
    }

    /** Writes back, as the controller would have, the managed state of {@code start} (no controller runs). */
    private static void restore(ControlPlane cp, ClusterSnapshot start) throws Exception {
        StepExecutor executor = new StepExecutor(cp.adminClient(), peers(cp), false,
                new RouteReflectorMetrics(new PrometheusRegistry()));
        for (NodeFacts node : start.nodes()) {
            Map<String, String> labels = new HashMap<>();
            MANAGED_LABELS.forEach(k -> labels.put(k, node.labels().get(k)));
            Map<String, String> annotations = new HashMap<>();
            MANAGED_ANNOTATIONS.forEach(k -> annotations.put(k, node.annotations().get(k)));
            executor.execute(new Step.PatchNode(node.name(), labels, annotations, "test restore"));
        }
        for (PeerFacts peer : observed(cp).ownedPeers()) {
            executor.execute(new Step.DeletePeer(peer.name(), "test restore"));
        }
        for (PeerFacts peer : start.ownedPeers()) {
            executor.execute(new Step.CreatePeer(peer, "test restore"));
        }
        assertThat(managedState(observed(cp))).isEqualTo(managedState(start));
    }
}
