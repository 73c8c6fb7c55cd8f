package dev.calicorr.routereflector.datastore;

import dev.calicorr.core.etcd.EtcdKv;
import dev.calicorr.core.etcd.EtcdWatch;
import dev.calicorr.routereflector.kube.CalicoNodeStatus;
import io.etcd.jetcd.Client;
import io.kubernetes.client.informer.ResourceEventHandler;
import io.kubernetes.client.informer.TransformFunc;
import io.kubernetes.client.informer.cache.Indexer;
import io.kubernetes.client.util.generic.KubernetesApiResponse;
import java.util.concurrent.ScheduledExecutorService;

/** CalicoNodeStatuses under libcalico-go's keys in etcd, watched from a listed revision once asked for. */
final class EtcdNodeStatuses implements NodeStatusStore {
    private final Client client;
    private final EtcdKv kv;
    private final EtcdResources<CalicoNodeStatus> statuses;
    private final Runnable changed;
    private final ScheduledExecutorService scheduler;
    private volatile EtcdWatch watch;

    EtcdNodeStatuses(Client client, Runnable changed, ScheduledExecutorService scheduler) {
        this.client = client;
        this.kv = new EtcdKv(client);
        this.statuses = new EtcdResources<>(kv, CalicoNodeStatus.class, CalicoNodeStatus.PLURAL);
        this.changed = changed;
        this.scheduler = scheduler;
    }

    /** A count of the keys: whether etcd lets us read there (no CRD to have in etcd). */
    @Override
    public KubernetesApiResponse<CalicoNodeStatus> probe() {
        try {
            kv.count(statuses.prefix());
            return new KubernetesApiResponse<>(new CalicoNodeStatus());
        } catch (EtcdKv.CallFailedException e) {
            return EtcdKv.failed(e);
        }
    }

    @Override
    public String absence() {
        return "CalicoNodeStatuses under " + statuses.prefix() + " in etcd cannot be read";
    }

    @Override
    public String accessHint() {
        return "the etcd user needs to read and write " + statuses.prefix();
    }

    @Override
    public synchronized void watch(TransformFunc transform, ResourceEventHandler<CalicoNodeStatus> handler) {
        if (watch != null) {
            return;
        }
        statuses.listen(transform, handler); // before the watch's first list
        watch = new EtcdWatch(client, statuses.prefix(), statuses, changed, scheduler);
        watch.start();
    }

    @Override
    public Indexer<CalicoNodeStatus> cache() {
        return statuses.cache();
    }

    @Override
    public boolean hasSynced() {
        EtcdWatch current = watch;
        return current != null && current.hasSynced();
    }

    void close() {
        EtcdWatch current = watch;
        if (current != null) {
            current.close();
        }
    }

    @Override
    public CalicoStore<CalicoNodeStatus> writes() {
        return statuses;
    }
}
