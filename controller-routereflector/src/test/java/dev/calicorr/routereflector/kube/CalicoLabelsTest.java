package dev.calicorr.routereflector.kube;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubernetes.client.openapi.models.V1ObjectMeta;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CalicoLabelsTest {

    @Test
    void labelsCalicosClientMovedIntoItsMetadataAnnotationAreRead() {
        // what a CalicoNodeStatus we created looks like after calico-node's status reporter updated it
        V1ObjectMeta meta = new V1ObjectMeta().name("rrc-node-00").annotations(Map.of(CalicoLabels.METADATA_ANNOTATION,
                "{\"generation\":1,\"creationTimestamp\":\"2026-12-01T21:36:46Z\","
                        + "\"labels\":{\"app.kubernetes.io/managed-by\":\"calico-rr-controller\"}}"));

        assertThat(CalicoLabels.of(meta)).containsEntry("app.kubernetes.io/managed-by", "calico-rr-controller");
    }

    @Test
    void theObjectsOwnLabelsCountAndTheAnnotationWinsOnTheSameKey() {
        V1ObjectMeta meta = new V1ObjectMeta().labels(Map.of("projectcalico.org/kept", "v1", "k", "object"))
                .annotations(Map.of(CalicoLabels.METADATA_ANNOTATION, "{\"labels\":{\"k\":\"calico\"}}"));

        assertThat(CalicoLabels.of(meta)).containsExactlyInAnyOrderEntriesOf(
                Map.of("projectcalico.org/kept", "v1", "k", "calico"));
    }

    @Test
    void anAnnotationThatIsNotCalicosJsonIsIgnored() {
        V1ObjectMeta meta = new V1ObjectMeta().labels(Map.of("a", "b"))
                .annotations(Map.of(CalicoLabels.METADATA_ANNOTATION, "not json"));

        assertThat(CalicoLabels.of(meta)).containsExactly(Map.entry("a", "b"));
        assertThat(CalicoLabels.of(new V1ObjectMeta())).isEmpty();
    }
}
