package dev.calicorr.routereflector.datastore;

import dev.calicorr.core.kube.CalicoApi;
import dev.calicorr.core.plugin.ControllerContext;
import dev.calicorr.routereflector.kube.BgpConfiguration;
import dev.calicorr.routereflector.kube.BgpConfigurationList;
import dev.calicorr.routereflector.kube.BgpPeer;
import dev.calicorr.routereflector.kube.BgpPeerList;
import dev.calicorr.routereflector.kube.NodeFactsReader;
import io.kubernetes.client.extended.controller.builder.ControllerBuilder;
import io.kubernetes.client.extended.controller.builder.DefaultControllerBuilder;
import io.kubernetes.client.extended.controller.reconciler.Request;
import io.kubernetes.client.informer.SharedIndexInformer;
import io.kubernetes.client.informer.cache.Indexer;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.models.V1Node;
import io.kubernetes.client.openapi.models.V1NodeList;
import io.kubernetes.client.util.generic.GenericKubernetesApi;
import java.time.Duration;

/**
 * The Kubernetes datastore (KDD): Calico's resources are {@code crd.projectcalico.org} CRDs and a
 * Calico Node is the Kubernetes Node (labels; BGP fields in annotations). Informers registered with
 * the host's one factory.
 */
public final class KddDatastore implements Datastore {
    private final SharedIndexInformer<V1Node> nodes;
    private final SharedIndexInformer<BgpPeer> peers;
    private final SharedIndexInformer<BgpConfiguration> bgpConfigurations;
    private final NodeWrites nodeWrites;
    private final CalicoStore<BgpPeer> peerWrites;
    private final CalicoStore<BgpConfiguration> bgpConfigurationWrites;
    private final NodeStatusStore nodeStatuses;

    public KddDatastore(ControllerContext context) {
        nodes = nodeInformer(context);
        peers = context.informer(KddDatastore::peerApi, BgpPeer.class, Duration.ZERO, null);
        // BGPConfiguration: one or two objects in a cluster; only `default` matters (the mesh)
        bgpConfigurations = context.informer(KddDatastore::bgpConfigurationApi, BgpConfiguration.class,
                Duration.ZERO, null);
        nodeWrites = nodeWrites(context.apiClient());
        peerWrites = new KddStore<>(peerApi(context.apiClient()));
        bgpConfigurationWrites = new KddStore<>(bgpConfigurationApi(context.apiClient()));
        nodeStatuses = new KddNodeStatuses(context); // its informer only once the CRD is known to be there
    }

    /** The Kubernetes Node informer (slimmed), in both datastores the source of readiness, cordons, taints, zones. */
    static SharedIndexInformer<V1Node> nodeInformer(ControllerContext context) {
        return context.informer(KddDatastore::nodeApi, V1Node.class, Duration.ZERO, NodeFactsReader::slim);
    }

    /** Node writes are merge patches of the Kubernetes Node. */
    public static NodeWrites nodeWrites(ApiClient client) {
        return new KddStore<>(nodeApi(client))::mergePatch;
    }

    static GenericKubernetesApi<V1Node, V1NodeList> nodeApi(ApiClient client) {
        return new GenericKubernetesApi<>(V1Node.class, V1NodeList.class, "", "v1", "nodes", client);
    }

    public static GenericKubernetesApi<BgpPeer, BgpPeerList> peerApi(ApiClient client) {
        return CalicoApi.api(BgpPeer.class, BgpPeerList.class, BgpPeer.PLURAL, client);
    }

    public static GenericKubernetesApi<BgpConfiguration, BgpConfigurationList> bgpConfigurationApi(ApiClient client) {
        return CalicoApi.api(BgpConfiguration.class, BgpConfigurationList.class, BgpConfiguration.PLURAL, client);
    }

    /** Only {@code BGPConfiguration/default} matters to the controller. */
    static boolean isDefault(BgpConfiguration configuration) {
        return BgpConfiguration.DEFAULT_NAME.equals(configuration.getMetadata().getName());
    }

    @Override
    public Indexer<V1Node> nodes() {
        return nodes.getIndexer();
    }

    @Override
    public Indexer<BgpPeer> peers() {
        return peers.getIndexer();
    }

    @Override
    public Indexer<BgpConfiguration> bgpConfigurations() {
        return bgpConfigurations.getIndexer();
    }

    @Override
    public NodeWrites nodeWrites() {
        return nodeWrites;
    }

    /** Our labels are the Kubernetes Node's own. */
    @Override
    public void reflectorLabel(String key) {
    }

    @Override
    public CalicoStore<BgpPeer> peerWrites() {
        return peerWrites;
    }

    @Override
    public CalicoStore<BgpConfiguration> bgpConfigurationWrites() {
        return bgpConfigurationWrites;
    }

    @Override
    public NodeStatusStore nodeStatuses() {
        return nodeStatuses;
    }

    @Override
    public DefaultControllerBuilder watch(DefaultControllerBuilder builder, Request key, Runnable wake) {
        return builder
                .watch(q -> ControllerBuilder.controllerWatchBuilder(BgpPeer.class, q)
                        .withWorkQueueKeyFunc(peer -> key)
                        .build())
                .watch(q -> ControllerBuilder.controllerWatchBuilder(BgpConfiguration.class, q)
                        .withWorkQueueKeyFunc(configuration -> key)
                        .withOnAddFilter(KddDatastore::isDefault)
                        .withOnUpdateFilter((before, after) -> isDefault(after))
                        .withOnDeleteFilter((configuration, unknown) -> isDefault(configuration))
                        .build());
    }

    @Override
    public boolean hasSynced() {
        return nodes.hasSynced() && peers.hasSynced() && bgpConfigurations.hasSynced();
    }

    @Override
    public String describe() {
        return "kubernetes";
    }

    /** The informers belong to the host's factory, which stops them. */
    @Override
    public void close() {
    }
}
