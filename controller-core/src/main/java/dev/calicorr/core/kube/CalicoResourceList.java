package dev.calicorr.core.kube;

import io.kubernetes.client.common.KubernetesListObject;
import io.kubernetes.client.openapi.models.V1ListMeta;
import java.util.List;

/**
 * The list envelope of a Calico custom resource; a concrete subclass per type gives the JSON
 * decoder the item type.
 */
public abstract class CalicoResourceList<T extends CalicoResource> implements KubernetesListObject {
    private String apiVersion;
    private String kind;
    private V1ListMeta metadata;
    private List<T> items;

    @Override
    public V1ListMeta getMetadata() {
        return metadata;
    }

    @Override
    public List<T> getItems() {
        return items == null ? List.of() : items;
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
