package dev.calicorr.routereflector.datastore;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonParser;
import dev.calicorr.core.etcd.EtcdKv;
import dev.calicorr.routereflector.kube.NodeFactsReader;
import dev.calicorr.routereflector.model.Names;
import dev.calicorr.routereflector.model.NodeFacts;
import io.kubernetes.client.openapi.models.V1Node;
import io.kubernetes.client.openapi.models.V1NodeCondition;
import io.kubernetes.client.openapi.models.V1NodeSpec;
import io.kubernetes.client.openapi.models.V1NodeStatus;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import java.time.OffsetDateTime;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EtcdNodesTest {
    private static final String RR = "calico-route-reflector";

    private static V1Node kubernetesNode(Map<String, String> labels, Map<String, String> annotations) {
        return new V1Node().metadata(new V1ObjectMeta().name("node-1").uid("k8s-uid").resourceVersion("900")
                        .creationTimestamp(OffsetDateTime.parse("2026-01-01T00:00:00Z")).labels(labels)
                        .annotations(annotations))
                .spec(new V1NodeSpec().unschedulable(true))
                .status(new V1NodeStatus().addConditionsItem(new V1NodeCondition().type("Ready").status("True")));
    }

    private static EtcdKv.Stored calicoNode(String json, long revision) {
        return new EtcdKv.Stored(JsonParser.parseString(json).getAsJsonObject(), revision);
    }

    @Test
    void ourLabelsAndTheClusterIdComeFromTheCalicoNodeTheRestFromKubernetes() {
        V1Node node = kubernetesNode(Map.of("topology.kubernetes.io/zone", "a", RR, "", Names.GROUP_LABEL, "7",
                "kubernetes.io/hostname", "node-1"), Map.of(Names.CLUSTER_ID_ANNOTATION, "224.0.0.9"));
        EtcdKv.Stored stored = calicoNode("{\"metadata\":{\"name\":\"node-1\",\"labels\":{\"" + Names.RR_INDEX_LABEL
                + "\":\"2\",\"topology.kubernetes.io/zone\":\"stale\",\"user\":\"x\"},\"annotations\":{\""
                + Names.SERVING_SINCE_ANNOTATION + "\":\"2026-01-02T00:00:00Z\",\"other\":\"y\"}},"
                + "\"spec\":{\"bgp\":{\"ipv4Address\":\"198.18.0.1/32\",\"routeReflectorClusterID\":\"224.0.0.2\"}}}", 41);

        V1Node joined = EtcdNodes.join(node, stored, RR);
        NodeFacts facts = NodeFactsReader.read(joined);

        // the RR and group labels on the Kubernetes Node are not what BGP sees in etcd mode: not ours to count
        assertThat(facts.labels()).isEqualTo(Map.of("topology.kubernetes.io/zone", "a", "kubernetes.io/hostname",
                "node-1", Names.RR_INDEX_LABEL, "2"));
        assertThat(facts.annotations()).isEqualTo(Map.of(Names.CLUSTER_ID_ANNOTATION, "224.0.0.2",
                Names.IPV4_ADDRESS_ANNOTATION, "198.18.0.1/32", Names.SERVING_SINCE_ANNOTATION, "2026-01-02T00:00:00Z"));
        assertThat(facts.ready()).isTrue();
        assertThat(facts.unschedulable()).isTrue();
        assertThat(facts.created()).isEqualTo(OffsetDateTime.parse("2026-01-01T00:00:00Z").toInstant());
        // what our writes wait for: the Calico Node's mod revision
        assertThat(joined.getMetadata().getResourceVersion()).isEqualTo("41");
    }

    @Test
    void theReflectorLabelIsOursWhateverItsKey() {
        V1Node node = kubernetesNode(Map.of("rr", "yes"), Map.of());
        EtcdKv.Stored stored = calicoNode("{\"metadata\":{\"name\":\"node-1\",\"labels\":{\"rr\":\"\"}},\"spec\":{}}", 5);
        assertThat(EtcdNodes.join(node, stored, "rr").getMetadata().getLabels()).isEqualTo(Map.of("rr", ""));
        assertThat(EtcdNodes.join(node, calicoNode("{\"metadata\":{\"name\":\"node-1\"}}", 6), "rr").getMetadata()
                .getLabels()).isEmpty();
    }

    @Test
    void aNodePatchGoesToTheCalicoNodeExceptTheAnnotationsOthersReadOnKubernetesNodes() {
        EtcdNodes.Split split = EtcdNodes.split("{\"metadata\":{\"labels\":{\"" + RR + "\":\"\",\"" + Names.GROUP_LABEL
                + "\":null},\"annotations\":{\"" + Names.CLUSTER_ID_ANNOTATION + "\":\"224.0.0.1\",\""
                + Names.SERVING_SINCE_ANNOTATION + "\":\"2026-01-02T00:00:00Z\",\"autoscaler.example.com/keep\":\"true\"}}}");
        assertThat(split.calico()).isEqualTo(JsonParser.parseString("{\"metadata\":{\"labels\":{\"" + RR + "\":\"\",\""
                + Names.GROUP_LABEL + "\":null},\"annotations\":{\"" + Names.SERVING_SINCE_ANNOTATION
                + "\":\"2026-01-02T00:00:00Z\"}},\"spec\":{\"bgp\":{\"routeReflectorClusterID\":\"224.0.0.1\"}}}"));
        assertThat(split.kubernetes()).isEqualTo(JsonParser.parseString(
                "{\"metadata\":{\"annotations\":{\"autoscaler.example.com/keep\":\"true\"}}}"));

        // removing the cluster ID alone writes only the Calico Node
        EtcdNodes.Split demotion = EtcdNodes.split("{\"metadata\":{\"annotations\":{\"" + Names.CLUSTER_ID_ANNOTATION
                + "\":null}}}");
        assertThat(demotion.calico()).isEqualTo(JsonParser.parseString(
                "{\"spec\":{\"bgp\":{\"routeReflectorClusterID\":null}}}"));
        assertThat(demotion.kubernetes().size()).isZero();
    }
}
