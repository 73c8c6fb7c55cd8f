package dev.calicorr.routereflector.apply;

import static dev.calicorr.routereflector.apply.LiveChecks.RR;
import static dev.calicorr.routereflector.apply.LiveChecks.peers;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import dev.calicorr.core.etcd.EtcdConfigurationStore;
import dev.calicorr.core.etcd.EtcdKeys;
import dev.calicorr.core.etcd.EtcdValues;
import dev.calicorr.routereflector.datastore.CalicoEtcd;
import dev.calicorr.routereflector.kube.CalicoNodeStatus;
import dev.calicorr.routereflector.kube.NodeFactsReader;
import dev.calicorr.routereflector.model.ClusterSnapshot;
import dev.calicorr.routereflector.model.Names;
import dev.calicorr.routereflector.model.NodeFacts;
import dev.calicorr.routereflector.model.PeerFacts;
import dev.calicorr.testsupport.ControlPlane;
import dev.calicorr.testsupport.SimulatedNodes;
import io.kubernetes.client.openapi.models.V1Node;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * etcdv3: Calico Nodes and BGPPeers in Calico's etcd, created and read back with calicoctl;
 * {@code default} under its key, put there as with etcdctl.
 */
record EtcdCalico(CalicoEtcd etcd) implements Calico {
    private static final String OURS = Names.CONTROLLER_NAME + "/";

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
        return Calico.rewriteWithCalicoctl(etcd.calicoctlBinary(), etcd.workDir(), etcd.environment(), logSeverityScreen);
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
                    .append("\nspec:\n  bgp:\n    ipv4Address: ").append(Calico.address(nodes.get(i))).append("/32\n");
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
        value.set("status", JSON.valueToTree(Calico.established(peerIps)));
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

    /** As calicoctl reads BGPConfiguration {@code default}. */
    @Override
    public boolean meshOn() throws Exception {
        JsonNode configuration = byName(etcd.get("bgpconfigurations")).get("default");
        return configuration == null || configuration.path("spec").path("nodeToNodeMeshEnabled").asBoolean(true);
    }

    @Override
    public void close() {
        etcd.close();
    }

    private static Map<String, JsonNode> byName(List<JsonNode> items) {
        return items.stream().collect(Collectors.toMap(item -> item.path("metadata").path("name").asText(),
                Function.identity()));
    }
}
