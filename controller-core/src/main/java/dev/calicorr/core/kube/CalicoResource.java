package dev.calicorr.core.kube;

import io.kubernetes.client.common.KubernetesObject;
import io.kubernetes.client.openapi.models.V1ObjectMeta;

/** The envelope every Calico custom resource shares; subclasses add their spec (and status). */
public abstract class CalicoResource implements KubernetesObject {
    private String apiVersion = CalicoApi.API_VERSION;
    private String kind;
    private V1ObjectMeta metadata;

    protected CalicoResource(String kind, V1ObjectMeta metadata) {
        this.kind = kind;
        this.metadata = metadata;
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
}
