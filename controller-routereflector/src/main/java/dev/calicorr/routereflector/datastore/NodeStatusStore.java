package dev.calicorr.routereflector.datastore;

import dev.calicorr.routereflector.kube.CalicoNodeStatus;
import io.kubernetes.client.informer.ResourceEventHandler;
import io.kubernetes.client.informer.TransformFunc;
import io.kubernetes.client.informer.cache.Indexer;
import io.kubernetes.client.util.generic.KubernetesApiResponse;

/**
 * calico-node's {@code CalicoNodeStatus} reports and the writes of the ones the controller owns,
 * where the datastore keeps them: CRs of the Kubernetes API (KDD), or libcalico-go's keys in etcd,
 * where calico-node's status reporter writes them in etcdv3 mode.
 */
public interface NodeStatusStore {

    /**
     * Reads at most one, to tell whether they can be had here: success, 404 (KDD: the CRD is not
     * installed), 403 (not allowed); 5xx when the datastore does not answer.
     */
    KubernetesApiResponse<?> probe();

    /** What the datastore lacks when {@link #probe} fails, for the one line that says checks are off. */
    String absence();

    /** What access the controller needs to read and write them, for the message when it lacks it. */
    String accessHint();

    /**
     * Starts caching them, each object transformed before it is cached, and tells {@code handler}
     * of every change; only the first call counts (the host starts a KDD informer; etcd is watched at once).
     */
    void watch(TransformFunc transform, ResourceEventHandler<CalicoNodeStatus> handler);

    /** The cache; only after {@link #watch}. */
    Indexer<CalicoNodeStatus> cache();

    /** The cache holds a first full list. */
    boolean hasSynced();

    /** Reads and writes of single statuses, where they are kept. */
    CalicoStore<CalicoNodeStatus> writes();
}
