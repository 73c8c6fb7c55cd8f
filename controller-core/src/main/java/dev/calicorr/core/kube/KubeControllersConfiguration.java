package dev.calicorr.core.kube;

import io.kubernetes.client.common.KubernetesObject;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import java.util.Map;

/**
 * {@code KubeControllersConfiguration} ({@code crd.projectcalico.org/v1}). Spec and status stay
 * plain decoded JSON: the host reads only a few fields and hands each plugin its own section, and
 * fields we do not model (upstream's) must survive a round trip untouched.
 */
public class KubeControllersConfiguration implements KubernetesObject {
    public static final String PLURAL = "kubecontrollersconfigurations";
    public static final String KIND = "KubeControllersConfiguration";
    /** Only the object of this name counts, as in upstream kube-controllers. */
    public static final String DEFAULT_NAME = "default";

    private String apiVersion = CalicoApi.API_VERSION;
    private String kind = KIND;
    private V1ObjectMeta metadata;
    private Map<String, Object> spec;
    private Map<String, Object> status;

    public KubeControllersConfiguration() {
    }

    public KubeControllersConfiguration(V1ObjectMeta metadata, Map<String, Object> spec) {
        this.metadata = metadata;
        this.spec = spec;
    }

    @Override
    public V1ObjectMeta getMetadata() {
        return metadata;
    }

    @Override
    public String getApiVersion() {
        return apiVersion;
    }

    @Override
    public String getKind() {
        return kind;
    }

    public Map<String, Object> getSpec() {
        return spec;
    }

    public Map<String, Object> getStatus() {
        return status;
    }

    public void setStatus(Map<String, Object> status) {
        this.status = status;
    }
}
