package dev.calicorr.routereflector.datastore;

import dev.calicorr.routereflector.kube.BgpConfiguration;
import dev.calicorr.routereflector.kube.BgpPeer;
import io.kubernetes.client.extended.controller.builder.DefaultControllerBuilder;
import io.kubernetes.client.extended.controller.reconciler.Request;
import io.kubernetes.client.informer.cache.Indexer;
import io.kubernetes.client.openapi.models.V1Node;

/**
 * What the route reflector controller reads and writes, whatever the datastore: the planner's view
 * of the nodes (Kubernetes Nodes for readiness, cordons, taints, zones and creation time; the
 * datastore's Calico Node for our labels, cluster ID and BGP addresses), BGPPeers and
 * BGPConfigurations, each as a cache kept current by a watch, and their writes.
 */
public interface Datastore extends AutoCloseable {

    /**
     * Nodes as the planner reads them ({@link dev.calicorr.routereflector.kube.NodeFactsReader}):
     * labels, the cluster ID and BGP address annotations, readiness, cordon, taints, creation time.
     * The resource version is the one of the object {@link #nodeWrites()} writes.
     */
    Indexer<V1Node> nodes();

    Indexer<BgpPeer> peers();

    Indexer<BgpConfiguration> bgpConfigurations();

    /**
     * Node writes: a JSON merge patch of {@code metadata.labels} and {@code metadata.annotations}
     * (a null value removes the key), the cluster ID as its KDD annotation
     * ({@link dev.calicorr.routereflector.model.Names#CLUSTER_ID_ANNOTATION}).
     */
    NodeWrites nodeWrites();

    /**
     * The label key route reflectors carry ({@code routeReflectorLabelKey}): where nodes hold our
     * labels apart from their Kubernetes labels (etcdv3), it is read from there only. Called at
     * start and on every configuration change.
     */
    void reflectorLabel(String key);

    CalicoStore<BgpPeer> peerWrites();

    CalicoStore<BgpConfiguration> bgpConfigurationWrites();

    /** calico-node's BGP session reports (CalicoNodeStatus) and the writes of ours. */
    NodeStatusStore nodeStatuses();

    /**
     * Makes every change of what this datastore caches wake the controller: informer watches added
     * to the builder (their events map to {@code key}), or {@code wake} called from the datastore's
     * own watches.
     */
    DefaultControllerBuilder watch(DefaultControllerBuilder builder, Request key, Runnable wake);

    /** All caches hold a first full list. */
    boolean hasSynced();

    /** Says in one word where Calico's resources are, for logs. */
    String describe();

    @Override
    void close();
}
