package dev.calicorr.routereflector.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.calicorr.routereflector.model.Names;
import dev.calicorr.routereflector.model.NodeFacts;
import dev.calicorr.routereflector.model.PeerFacts;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class NodeFileTest {

    /** Abridged from kubectl get nodes,bgppeers -o yaml, with fields this client does not know. */
    static final String KUBECTL_LIST = """
            apiVersion: v1
            kind: List
            items:
            - apiVersion: v1
              kind: Node
              metadata:
                name: worker-1
                creationTimestamp: "2025-03-01T10:00:00Z"
                labels:
                  kubernetes.io/hostname: worker-1
                  topology.kubernetes.io/zone: eu-1a
                  calico-route-reflector: ""
                annotations:
                  projectcalico.org/RouteReflectorClusterID: 224.0.0.1
                  node.alpha.kubernetes.io/ttl: "0"
                managedFields: [{manager: kubelet, operation: Update}]
                aFieldFromTheFuture: 1
              spec:
                podCIDR: 10.244.1.0/24
                taints: [{key: dedicated, value: infra, effect: NoSchedule}]
              status:
                conditions:
                - {type: MemoryPressure, status: "False"}
                - {type: Ready, status: "True", reason: KubeletReady, lastHeartbeatTime: "2025-03-01T10:00:00Z"}
                nodeInfo: {kubeletVersion: v1.99.0}
                images: [{names: [registry.k8s.io/pause:3.9], sizeBytes: 1}]
            - apiVersion: v1
              kind: Node
              metadata: {name: worker-2, labels: {topology.kubernetes.io/zone: eu-1b}}
              spec: {unschedulable: true}
              status: {conditions: [{type: Ready, status: "False"}]}
            - apiVersion: crd.projectcalico.org/v1
              kind: BGPPeer
              metadata:
                name: rrc-mesh
                labels: {app.kubernetes.io/managed-by: calico-rr-controller}
              spec: {nodeSelector: has(calico-route-reflector), peerSelector: has(calico-route-reflector)}
            - apiVersion: crd.projectcalico.org/v1
              kind: BGPPeer
              metadata: {name: tor-peer}
              spec: {peerIP: 10.0.0.1, asNumber: 64512}
            """;

    @Test
    void kubectlOutputGivesTheNodesAsTheControllerReadsThemAndOurBgpPeersOnly() throws Exception {
        NodeFile.Contents contents = NodeFile.parse(KUBECTL_LIST, "nodes.yaml");

        List<NodeFacts> nodes = contents.snapshot().nodes();
        assertThat(nodes).extracting(NodeFacts::name).containsExactly("worker-1", "worker-2");
        NodeFacts first = nodes.get(0);
        assertThat(first.ready()).isTrue();
        assertThat(first.unschedulable()).isFalse();
        assertThat(first.created()).isEqualTo(Instant.parse("2025-03-01T10:00:00Z"));
        assertThat(first.labels()).containsEntry("calico-route-reflector", "")
                .containsEntry("topology.kubernetes.io/zone", "eu-1a");
        // only the annotations the planner reads, as the controller's informer keeps them
        assertThat(first.annotations()).containsOnlyKeys(Names.CLUSTER_ID_ANNOTATION);
        assertThat(first.taints()).containsExactly(new NodeFacts.Taint("dedicated", "NoSchedule"));
        NodeFacts second = nodes.get(1);
        assertThat(second.ready()).isFalse();
        assertThat(second.unschedulable()).isTrue();
        assertThat(second.created()).isEqualTo(Instant.EPOCH);

        assertThat(contents.snapshot().ownedPeers()).containsExactly(
                new PeerFacts("rrc-mesh", "has(calico-route-reflector)", "has(calico-route-reflector)"));
        assertThat(contents.notes()).containsExactly("1 BGPPeer(s) in nodes.yaml are not managed by "
                + "calico-rr-controller: left out, as the controller leaves them alone");
    }

    @Test
    void aJsonNodeListAPlainListAndSeveralDocumentsAreReadToo() throws Exception {
        String json = """
                {"kind": "NodeList", "apiVersion": "v1", "items": [
                  {"metadata": {"name": "a"}, "status": {"conditions": [{"type": "Ready", "status": "True"}]}},
                  {"metadata": {"name": "b"}}]}
                """;
        assertThat(NodeFile.parse(json, "f").snapshot().nodes()).extracting(NodeFacts::name).containsExactly("a", "b");
        assertThat(NodeFile.parse(json, "f").notes()).containsExactly(
                "1 node(s) in f have no Ready condition: they count as NotReady");

        String list = """
                - {kind: Node, metadata: {name: a}}
                - {kind: Node, metadata: {name: b}}
                """;
        assertThat(NodeFile.parse(list, "f").snapshot().nodes()).extracting(NodeFacts::name).containsExactly("a", "b");

        String documents = """
                kind: Node
                metadata: {name: a, labels: {numeric: 3, flag: true, empty: }}
                ---
                kind: Node
                metadata: {name: b}
                """;
        List<NodeFacts> nodes = NodeFile.parse(documents, "f").snapshot().nodes();
        assertThat(nodes).extracting(NodeFacts::name).containsExactly("a", "b");
        assertThat(nodes.get(0).labels()).containsEntry("numeric", "3").containsEntry("flag", "true")
                .containsEntry("empty", "");
    }

    @Test
    void aFileThatIsNoNodeListIsRefusedWithOneLineNamingTheProblem() {
        assertThatThrownBy(() -> NodeFile.parse("items: [", "bad.yaml")).isInstanceOf(PlanInputException.class)
                .hasMessageStartingWith("bad.yaml is not valid YAML or JSON: ").hasMessageNotContaining("\n");
        assertThatThrownBy(() -> NodeFile.parse("", "empty.yaml")).hasMessage(
                "empty.yaml holds no Node (expected the output of kubectl get nodes -o yaml)");
        assertThatThrownBy(() -> NodeFile.parse("just text", "t.yaml"))
                .hasMessage("t.yaml must hold Kubernetes objects (kubectl get nodes -o yaml), not 'just text'");
        assertThatThrownBy(() -> NodeFile.parse("{kind: Pod, metadata: {name: web}}", "p.yaml")).hasMessage(
                "p.yaml, Pod web: kind Pod is neither a Node nor a BGPPeer (use kubectl get nodes,bgppeers -o yaml)");
        assertThatThrownBy(() -> NodeFile.parse("[{kind: Node, metadata: {labels: {}}}]", "n.yaml"))
                .hasMessage("n.yaml, item 1: a Node without metadata.name");
        assertThatThrownBy(() -> NodeFile.parse("[{kind: Node, metadata: {name: a}}, {kind: Node, metadata: {name: a}}]",
                "d.yaml")).hasMessage("d.yaml, Node a is listed twice");
        assertThatThrownBy(() -> NodeFile.parse("{kind: Node, metadata: {name: a, creationTimestamp: yesterday}}",
                "c.yaml")).hasMessage("c.yaml, Node a: metadata.creationTimestamp 'yesterday' is not a timestamp");
        assertThatThrownBy(() -> NodeFile.parse("{kind: Node, metadata: {name: a}, spec: {taints: oops}}", "s.yaml"))
                .hasMessage("s.yaml, Node a: spec.taints must be a list");
        assertThatThrownBy(() -> NodeFile.parse("{kind: Node, metadata: {name: a, labels: {x: [1]}}}", "l.yaml"))
                .hasMessage("l.yaml, Node a: metadata.labels.x must be a string");
    }
}
