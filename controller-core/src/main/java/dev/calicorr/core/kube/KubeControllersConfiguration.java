package dev.calicorr.core.kube;

import io.kubernetes.client.openapi.models.V1ObjectMeta;
import java.util.Map;

/**
 * {@code KubeControllersConfiguration} ({@code crd.projectcalico.org/v1}). Spec and status stay
 * plain decoded JSON: the host reads only a few fields and hands each plugin its own section, and
 * fields we do not model (upstream's) must survive a round trip untouched.
 */
public class KubeControllersConfiguration extends CalicoResource {
    public static final String PLURAL = "kubecontrollersconfigurations";
    public static final String KIND = "KubeControllersConfiguration";
    /** Only the object of this name counts, as in upstream kube-controllers. */
    public static final String DEFAULT_NAME = "default";

    private Map<String, Object> spec;
    private Map<String, Object> status;

    public KubeControllersConfiguration() {
        super(KIND, null);
    }

    public KubeControllersConfiguration(V1ObjectMeta metadata, Map<String, Object> spec) {
        super(KIND, metadata);
        this.spec = spec;
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
