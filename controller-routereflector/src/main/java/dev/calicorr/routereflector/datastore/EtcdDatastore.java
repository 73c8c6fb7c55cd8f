package dev.calicorr.routereflector.datastore;

import dev.calicorr.core.config.EtcdSettings;
import dev.calicorr.core.etcd.EtcdClients;
import dev.calicorr.core.etcd.EtcdKeys;
import dev.calicorr.core.etcd.EtcdKv;
import dev.calicorr.core.etcd.EtcdWatch;
import dev.calicorr.core.plugin.ControllerContext;
import dev.calicorr.routereflector.kube.BgpConfiguration;
import dev.calicorr.routereflector.kube.BgpPeer;
import io.etcd.jetcd.Client;
import io.kubernetes.client.extended.controller.builder.DefaultControllerBuilder;
import io.kubernetes.client.extended.controller.reconciler.Request;
import io.kubernetes.client.informer.SharedIndexInformer;
import io.kubernetes.client.informer.cache.Indexer;
import io.kubernetes.client.openapi.models.V1Node;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calico's etcdv3 datastore ({@code DATASTORE_TYPE=etcdv3}): Calico Nodes, BGPPeers and
 * BGPConfigurations are read from and written to etcd in libcalico-go's v3 layout, each kind listed
 * and then watched from the listed revision; Kubernetes Nodes still come from the Kubernetes API.
 */
public final class EtcdDatastore implements Datastore {
    private static final Logger log = LoggerFactory.getLogger(EtcdDatastore.class);

    private final EtcdSettings settings;
    private final Client client;
    private final ScheduledExecutorService scheduler;
    private final SharedIndexInformer<V1Node> kubernetesNodes;
    private final EtcdNodes nodes;
    private final EtcdResources<BgpPeer> peers;
    private final EtcdResources<BgpConfiguration> bgpConfigurations;
    private final List<EtcdWatch> watches;
    private final EtcdNodeStatuses nodeStatuses;
    private volatile Runnable wake = () -> { };

    public EtcdDatastore(ControllerContext context, EtcdSettings settings) {
        this.settings = settings;
        this.client = EtcdClients.connect(settings);
        this.scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "etcd-watch");
            thread.setDaemon(true);
            return thread;
        });
        EtcdKv kv = new EtcdKv(client);
        kubernetesNodes = KddDatastore.nodeInformer(context);
        nodes = new EtcdNodes(kv, kubernetesNodes, KddDatastore.nodeWrites(context.apiClient()), this::changed);
        peers = new EtcdResources<>(kv, BgpPeer.class, BgpPeer.PLURAL);
        bgpConfigurations = new EtcdResources<>(kv, BgpConfiguration.class, BgpConfiguration.PLURAL);
        watches = List.of(new EtcdWatch(client, nodes.prefix(), nodes, this::changed, scheduler),
                new EtcdWatch(client, peers.prefix(), peers, this::changed, scheduler),
                new EtcdWatch(client, bgpConfigurations.prefix(), bgpConfigurations, this::changed, scheduler));
        watches.forEach(EtcdWatch::start);
        nodeStatuses = new EtcdNodeStatuses(client, this::changed, scheduler); // watched once the session checks ask
        log.info("datastore etcdv3 at {}: Calico Nodes, BGPPeers and BGPConfigurations under {}; Kubernetes Nodes "
                + "from the Kubernetes API; CalicoNodeStatuses there too", settings.endpoints(), EtcdKeys.ROOT);
    }

    private void changed() {
        wake.run();
    }

    @Override
    public Indexer<V1Node> nodes() {
        return nodes.cache();
    }

    @Override
    public Indexer<BgpPeer> peers() {
        return peers.cache();
    }

    @Override
    public Indexer<BgpConfiguration> bgpConfigurations() {
        return bgpConfigurations.cache();
    }

    @Override
    public NodeWrites nodeWrites() {
        return nodes;
    }

    @Override
    public void reflectorLabel(String key) {
        nodes.reflectorLabel(key);
    }

    @Override
    public CalicoStore<BgpPeer> peerWrites() {
        return peers;
    }

    @Override
    public CalicoStore<BgpConfiguration> bgpConfigurationWrites() {
        return bgpConfigurations;
    }

    /** In etcd, where calico-node's status reporter writes them in this mode. */
    @Override
    public NodeStatusStore nodeStatuses() {
        return nodeStatuses;
    }

    @Override
    public DefaultControllerBuilder watch(DefaultControllerBuilder builder, Request key, Runnable wake) {
        this.wake = wake;
        return builder;
    }

    @Override
    public boolean hasSynced() {
        return kubernetesNodes.hasSynced() && watches.stream().allMatch(EtcdWatch::hasSynced);
    }

    @Override
    public String describe() {
        return "etcdv3 " + settings.endpoints();
    }

    @Override
    public void close() {
        watches.forEach(EtcdWatch::close);
        nodeStatuses.close();
        scheduler.shutdown();
        try {
            scheduler.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        client.close();
    }
}
