package dev.calicorr.routereflector.datastore;

import io.kubernetes.client.common.KubernetesListObject;
import io.kubernetes.client.common.KubernetesObject;
import io.kubernetes.client.custom.V1Patch;
import io.kubernetes.client.util.generic.GenericKubernetesApi;
import io.kubernetes.client.util.generic.KubernetesApiResponse;

/** {@link CalicoStore} on the Kubernetes API: the calls as they are. */
public record KddStore<T extends KubernetesObject, L extends KubernetesListObject>(GenericKubernetesApi<T, L> api)
        implements CalicoStore<T> {

    @Override
    public KubernetesApiResponse<T> get(String name) {
        return api.get(name);
    }

    @Override
    public KubernetesApiResponse<T> create(T object) {
        return api.create(object);
    }

    @Override
    public KubernetesApiResponse<T> mergePatch(String name, String patch) {
        return api.patch(name, V1Patch.PATCH_FORMAT_JSON_MERGE_PATCH, new V1Patch(patch));
    }

    @Override
    public KubernetesApiResponse<T> delete(String name) {
        return api.delete(name);
    }
}
