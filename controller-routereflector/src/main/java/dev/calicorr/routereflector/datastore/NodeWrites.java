package dev.calicorr.routereflector.datastore;

import io.kubernetes.client.openapi.models.V1Node;
import io.kubernetes.client.util.generic.KubernetesApiResponse;

/** Our writes of a node: see {@link Datastore#nodeWrites()}. */
@FunctionalInterface
public interface NodeWrites {
    /** @return the node as {@link Datastore#nodes()} holds it after the write; 404 when the node is gone */
    KubernetesApiResponse<V1Node> mergePatch(String node, String patch);
}
