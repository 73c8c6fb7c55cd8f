package dev.calicorr.core.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.calicorr.core.kube.KubeControllersConfiguration;
import dev.calicorr.core.kube.UnreadableConfigurationException;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EtcdConfigurationStoreTest {
    /** As libcalico-go stores it (calico-kube-controllers created it, our section was written beside). */
    private static final String STORED = "{\"kind\":\"KubeControllersConfiguration\",\"apiVersion\":\"projectcalico.org/v3\","
            + "\"metadata\":{\"name\":\"default\",\"uid\":\"4b1f\",\"creationTimestamp\":\"2026-12-01T10:00:00Z\","
            + "\"annotations\":{\"calico-rr-controller/running-config\":\"{}\"}},"
            + "\"spec\":{\"logSeverityScreen\":\"Info\",\"healthChecks\":\"Enabled\",\"etcdV3CompactionPeriod\":\"10m0s\","
            + "\"controllers\":{\"node\":{\"reconcilerPeriod\":\"5m0s\"},\"routereflector\":{\"min\":4}}},"
            + "\"status\":{\"runningConfig\":{\"logSeverityScreen\":\"Info\"}}}";

    @Test
    void decodesWhatLibcalicoStoresWithTheModRevisionAsResourceVersion() throws Exception {
        KubeControllersConfiguration decoded = EtcdConfigurationStore.decode(STORED, 42);
        assertThat(decoded.getMetadata().getName()).isEqualTo("default");
        assertThat(decoded.getMetadata().getResourceVersion()).isEqualTo("42");
        assertThat(decoded.getMetadata().getAnnotations()).containsKey("calico-rr-controller/running-config");
        assertThat(decoded.getSpec().get("controllers")).isEqualTo(Map.of("node", Map.of("reconcilerPeriod", "5m0s"),
                "routereflector", Map.of("min", 4.0)));
        assertThat(decoded.getStatus()).containsKey("runningConfig");
    }

    /** (A spec that decodes but holds wrong values is the host's to reject, as in the Kubernetes datastore.) */
    @ParameterizedTest
    @ValueSource(strings = {"min: 4", "{\"metadata\":{\"name\":\"default\"},\"spec\":", "[1,2]", "\"default\"",
            "{\"metadata\":{\"name\":\"other\"},\"spec\":{}}", "{\"spec\":{}}",
            "{\"metadata\":{\"name\":\"default\"},\"spec\":5}"})
    void aValueThatIsNoConfigurationIsRefusedNamingTheKey(String value) {
        assertThatThrownBy(() -> EtcdConfigurationStore.decode(value, 7))
                .isInstanceOf(UnreadableConfigurationException.class)
                .hasMessageStartingWith(EtcdConfigurationStore.KEY + " (mod revision 7) holds no "
                        + "KubeControllersConfiguration: ")
                .hasMessageEndingWith("; it is left as it is");
    }

    @Test
    void theReasonSaysWhatIsWrongAndWhere() {
        assertThatThrownBy(() -> EtcdConfigurationStore.decode("spec:\n  min: 6\n", 7))
                .hasMessageContaining(": not JSON (at line 1 column 6 path $)").hasMessageNotContaining("LENIENT");
        assertThatThrownBy(() -> EtcdConfigurationStore.decode("{\"metadata\":{\"name\":\"default\"},\"spec\":5}", 7))
                .hasMessageContaining(": its fields do not decode (Expected BEGIN_OBJECT but was NUMBER");
        assertThatThrownBy(() -> EtcdConfigurationStore.decode("{\"metadata\":{\"name\":\"other\"}}", 7))
                .hasMessageContaining(": metadata.name is not default;");
    }

    @Test
    void anEditIsTheSpecSoAnnotationAndStatusWritesAreNoNewEdit() throws Exception {
        KubeControllersConfiguration stored = EtcdConfigurationStore.decode(STORED, 42);
        KubeControllersConfiguration annotated = EtcdConfigurationStore.decode(STORED.replace("\"running-config\":\"{}\"",
                "\"running-config\":\"{\\\"a\\\":1}\"").replace("\"runningConfig\":{\"logSeverityScreen\":\"Info\"}",
                "\"runningConfig\":{}"), 43);
        KubeControllersConfiguration edited = EtcdConfigurationStore.decode(STORED.replace("\"min\":4", "\"min\":5"), 44);
        assertThat(EtcdConfigurationStore.specDigest(annotated)).isEqualTo(EtcdConfigurationStore.specDigest(stored));
        assertThat(EtcdConfigurationStore.specDigest(edited)).isNotEqualTo(EtcdConfigurationStore.specDigest(stored))
                .startsWith("spec sha256=");
    }
}
