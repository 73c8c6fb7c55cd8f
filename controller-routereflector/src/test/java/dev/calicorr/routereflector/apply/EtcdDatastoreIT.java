package dev.calicorr.routereflector.apply;

import static dev.calicorr.routereflector.apply.LiveChecks.RR;
import static dev.calicorr.routereflector.apply.LiveChecks.TIMEOUT;
import static dev.calicorr.routereflector.apply.LiveChecks.ZONES;
import static dev.calicorr.routereflector.apply.LiveChecks.config;
import static dev.calicorr.routereflector.apply.LiveChecks.await;
import static dev.calicorr.routereflector.apply.LiveChecks.createConfiguration;
import static dev.calicorr.routereflector.apply.LiveChecks.editSection;
import static dev.calicorr.routereflector.apply.LiveChecks.newHost;
import static dev.calicorr.routereflector.apply.LiveChecks.peers;
import static dev.calicorr.routereflector.apply.LiveChecks.awaitTwoMoreReconciles;
import static dev.calicorr.routereflector.apply.LiveChecks.reconciles;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.calicorr.core.runtime.Host;
import dev.calicorr.routereflector.RouteReflectorPlugin;
import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.datastore.CalicoEtcd;
import dev.calicorr.routereflector.kube.NodeFactsReader;
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
import io.kubernetes.client.openapi.models.V1Node;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The controller with {@code DATASTORE_TYPE=etcdv3}: Calico's resources in an etcd of their own,
 * Kubernetes Nodes in the apiserver. What it wrote is read back with Calico's own calicoctl, which
 * fails on an object it cannot decode; the topology is judged from calicoctl's view joined with the
 * Kubernetes Nodes, as calico-node would build BIRD's configuration from them.
 */
@RealControlPlane
class EtcdDatastoreIT {
    private static final Duration LEASE = Duration.ofSeconds(4);
    private Host host;
    private CalicoEtcd etcd;

    @AfterEach
    void stop() throws Exception {
        if (host != null) {
            host.close();
        }
        if (etcd != null) {
            etcd.close();
        }
    }

    @Test
    void promotesAndReplacesInEtcdReadBackByCalicoctlAndLeavesTheUsersPeerAlone(ControlPlane cp) throws Exception {
        SimulatedNodes kubernetes = calicoCluster(cp);
        JsonNode userPeer = byName(etcd.get("bgppeers")).get("user-peer");

        Map<String, Object> section = Map.of("removalDelay", "1s");
        createConfiguration(cp, section);
        startController(cp);

        ClusterSnapshot first = awaitTopology(cp, section, 3);
        Map<String, JsonNode> calicoNodes = byName(etcd.get("nodes"));
        for (NodeFacts reflector : first.nodes().stream().filter(n -> n.labels().containsKey(RR)).toList()) {
            JsonNode stored = calicoNodes.get(reflector.name());
            assertThat(stored.path("metadata").path("labels").has(RR)).as(reflector.name()).isTrue();
            assertThat(stored.path("spec").path("bgp").path("routeReflectorClusterID").asText())
                    .as(reflector.name()).matches("224\\.0\\.0\\.[1-3]");
            // what calico-node registered is kept
            assertThat(stored.path("spec").path("bgp").path("ipv4Address").asText()).startsWith("198.18.0.");
        }
        assertThat(new Bgp(first.nodes(), first.ownedPeers(), false, Set.of()).unreachable()).isEmpty();
        // nothing of ours in the Kubernetes datastore: no labels on Kubernetes Nodes, no BGPPeer CRs
        assertThat(kubernetes.list()).allSatisfy(node -> assertThat(node.getMetadata().getLabels().keySet())
                .noneMatch(key -> key.equals(RR) || key.startsWith(Names.CONTROLLER_NAME + "/")));
        assertThat(peers(cp).list().getObject().getItems()).isEmpty();

        String replaced = first.nodes().stream().filter(n -> n.labels().containsKey(RR)).map(NodeFacts::name)
                .sorted().findFirst().orElseThrow();
        kubernetes.cordon(replaced, true);
        ClusterSnapshot after = awaitTopology(cp, section, 3);
        assertThat(after.nodes()).filteredOn(n -> n.name().equals(replaced)).singleElement()
                .satisfies(n -> assertThat(n.labels()).doesNotContainKey(RR));
        assertThat(byName(etcd.get("nodes")).get(replaced).path("spec").path("bgp").has("routeReflectorClusterID"))
                .isFalse();
        assertThat(new Bgp(after.nodes(), after.ownedPeers(), false, Set.of()).unreachable()).isEmpty();

        // the user's peer: not a byte changed (same spec, same revision)
        assertThat(byName(etcd.get("bgppeers")).get("user-peer")).isEqualTo(userPeer);
    }

    /**
     * Calico's etcd (TLS, client certificates), 12 Kubernetes Nodes in 3 zones, their Calico Nodes
     * and a user's BGPPeer, created with calicoctl as calico-node and an operator would.
     */
    private SimulatedNodes calicoCluster(ControlPlane cp) throws Exception {
        etcd = CalicoEtcd.start(cp);
        // client certificate authentication is on: without ours, Calico's own client is refused
        assertThat(etcd.calicoctl(etcd.environmentWithoutClientCertificate(), Duration.ofSeconds(3), "get", "nodes")
                .ok()).isFalse();
        assertThat(etcd.log()).contains("client didn't provide a certificate");
        SimulatedNodes kubernetes = new SimulatedNodes(cp.adminClient());
        List<String> names = kubernetes.createMany("node", 0, 12, ZONES);
        StringBuilder yaml = new StringBuilder();
        for (int i = 0; i < names.size(); i++) {
            // as calico-node registers itself: a Calico Node with its BGP address, no labels of ours
            yaml.append("---\napiVersion: projectcalico.org/v3\nkind: Node\nmetadata:\n  name: ").append(names.get(i))
                    .append("\n  labels:\n    kubernetes.io/hostname: ").append(names.get(i))
                    .append("\nspec:\n  bgp:\n    ipv4Address: 198.18.0.").append(i + 1).append("/32\n");
        }
        yaml.append("---\napiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata:\n  name: user-peer\n"
                + "spec:\n  peerIP: 198.18.9.9\n  asNumber: 64512\n");
        etcd.apply(yaml.toString());
        return kubernetes;
    }

    private void startController(ControlPlane cp) throws Exception {
        host = newHost(cp, cp.controllerClient(), cp.newControllerClient(), new RouteReflectorPlugin(), "it", LEASE,
                etcd.environment(), Map.of(), false);
        host.start();
    }

    @Test
    void aRestartWritesNothingThenAnEditAndAZoneLossAreFollowed(ControlPlane cp) throws Exception {
        SimulatedNodes kubernetes = calicoCluster(cp);
        Map<String, Object> section = new java.util.LinkedHashMap<>(Map.of("removalDelay", "1s", "notReadyGrace", "0s"));
        createConfiguration(cp, section);
        startController(cp);
        awaitTopology(cp, section, 3);

        // converged: a restarted controller (a new leader) finds nothing to write in etcd
        host.close();
        long before = etcd.revision();
        startController(cp);
        await("the restarted controller's first reconcile", () -> reconciles(host) >= 1);
        awaitTwoMoreReconciles(host, cp); // nudged by a label of no concern to it, on a Kubernetes Node
        assertThat(etcd.revision()).as("etcd's revision after the restart").isEqualTo(before);

        section.put("min", 4);
        editSection(cp, "{\"min\":4}");
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

    /** Waits until calicoctl's view, joined with the Kubernetes Nodes, is what the planner wants. */
    private ClusterSnapshot awaitTopology(ControlPlane cp, Map<String, Object> section, int reflectors)
            throws Exception {
        RouteReflectorConfig config = config(section);
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
            Thread.sleep(200);
        }
        throw new AssertionError("no convergence to " + reflectors + " RRs within " + TIMEOUT + ": " + last);
    }

    /**
     * Kubernetes Nodes with the labels and cluster ID calicoctl shows on their Calico Nodes (ours
     * from there, the rest from Kubernetes), and the BGPPeers calicoctl shows that we manage.
     */
    private ClusterSnapshot observed(ControlPlane cp) throws Exception {
        Map<String, JsonNode> calico = byName(etcd.get("nodes"));
        List<NodeFacts> nodes = new ArrayList<>();
        for (V1Node node : new SimulatedNodes(cp.adminClient()).list()) {
            NodeFacts facts = NodeFactsReader.read(node);
            JsonNode stored = calico.get(facts.name());
            Map<String, String> labels = new HashMap<>(facts.labels());
            Map<String, String> annotations = new HashMap<>();
            stored.path("metadata").path("labels").fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
            JsonNode clusterId = stored.path("spec").path("bgp").path("routeReflectorClusterID");
            if (!clusterId.isMissingNode()) {
                annotations.put(Names.CLUSTER_ID_ANNOTATION, clusterId.asText());
            }
            JsonNode servingSince = stored.path("metadata").path("annotations").path(Names.SERVING_SINCE_ANNOTATION);
            if (!servingSince.isMissingNode()) {
                annotations.put(Names.SERVING_SINCE_ANNOTATION, servingSince.asText());
            }
            nodes.add(new NodeFacts(facts.name(), labels, annotations, facts.ready(), facts.unschedulable(),
                    facts.taints(), facts.created()));
        }
        List<PeerFacts> owned = new ArrayList<>();
        for (JsonNode peer : etcd.get("bgppeers")) {
            if (Names.CONTROLLER_NAME.equals(peer.path("metadata").path("labels").path(Names.MANAGED_BY_LABEL).asText())) {
                owned.add(new PeerFacts(peer.path("metadata").path("name").asText(),
                        peer.path("spec").path("nodeSelector").asText(""), peer.path("spec").path("peerSelector").asText("")));
            }
        }
        return new ClusterSnapshot(nodes, owned);
    }

    private static Map<String, JsonNode> byName(List<JsonNode> items) {
        return items.stream().collect(Collectors.toMap(item -> item.path("metadata").path("name").asText(),
                Function.identity()));
    }
}
