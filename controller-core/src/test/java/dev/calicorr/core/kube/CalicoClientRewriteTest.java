package dev.calicorr.core.kube;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubernetes.client.openapi.models.V1ObjectMeta;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Telling a write of Calico's own client (libcalico-go) from an edit, by the annotations it leaves. */
class CalicoClientRewriteTest {
    private static final String OURS = ConfigurationStore.RUNNING_CONFIG_ANNOTATION;
    private static final String METADATA = KddConfigurationStore.CALICO_METADATA_ANNOTATION;
    /** What calico-kube-controllers v3.28 left on the object in UpstreamBesideIT (shortened). */
    private static final String MOVED = "{\"generation\":1,\"annotations\":{\"" + OURS + "\":\"{\\\"min\\\":3}\"}}";

    @Test
    void oursMovedIntoLibcalicoGosMetadataIsItsWrite() {
        assertThat(rewritten(Map.of(METADATA, MOVED))).isTrue();
    }

    @Test
    void oursBesideItIsNot() {
        // our own annotation written again after libcalico-go's write: its metadata still holds the old copy
        assertThat(rewritten(Map.of(METADATA, MOVED, OURS, "{}"))).isFalse();
    }

    @Test
    void anEditWithoutLibcalicoGosMetadataIsNot() {
        assertThat(rewritten(Map.of())).isFalse();
        assertThat(rewritten(null)).isFalse();
    }

    @Test
    void libcalicoGosMetadataWithoutOursOrUnreadableIsNot() {
        assertThat(rewritten(Map.of(METADATA, "{\"generation\":1}"))).isFalse();
        assertThat(rewritten(Map.of(METADATA, "{\"annotations\":{\"other\":\"x\"}}"))).isFalse();
        assertThat(rewritten(Map.of(METADATA, "not json"))).isFalse();
        assertThat(rewritten(Map.of(METADATA, "[1]"))).isFalse();
    }

    private static boolean rewritten(Map<String, String> annotations) {
        return KddConfigurationStore.rewrittenByCalicoClient(
                new KubeControllersConfiguration(new V1ObjectMeta().name("default").annotations(annotations), Map.of()));
    }
}
