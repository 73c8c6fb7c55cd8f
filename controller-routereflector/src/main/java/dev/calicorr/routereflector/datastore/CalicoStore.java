package dev.calicorr.routereflector.datastore;

import io.kubernetes.client.common.KubernetesObject;
import io.kubernetes.client.util.generic.KubernetesApiResponse;

/**
 * The writes of one kind of cluster-scoped Calico resource. Answers are Kubernetes API responses in
 * both datastores (200, 201, 404 not found, 409 exists or changed meanwhile, 503 datastore
 * unavailable), so the applier handles one set of outcomes.
 */
public interface CalicoStore<T extends KubernetesObject> {

    KubernetesApiResponse<T> get(String name);

    /** Creates the object; 409 when one of that name exists. */
    KubernetesApiResponse<T> create(T object);

    /** Applies a JSON merge patch (RFC 7386) to the stored object; 404 when there is none. */
    KubernetesApiResponse<T> mergePatch(String name, String patch);

    /** 404 when there is none. */
    KubernetesApiResponse<T> delete(String name);
}
