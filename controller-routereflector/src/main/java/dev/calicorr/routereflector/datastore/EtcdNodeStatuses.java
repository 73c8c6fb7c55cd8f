package dev.calicorr.routereflector.datastore;

import dev.calicorr.core.etcd.EtcdKv;
import dev.calicorr.core.etcd.EtcdWatch;
import dev.calicorr.routereflector.kube.CalicoNodeStatus;
import io.etcd.jetcd.Client;
import io.kubernetes.client.informer.ResourceEventHandler;
import io.kubernetes.client.informer.TransformFunc;
import io.kubernetes.client.informer.cache.Indexer;
import io.kubernetes.client.util.generic.KubernetesApiResponse;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * CalicoNodeStatuses under libcalico-go's keys in etcd, watched from a listed revision once asked for.
 * Ours are created carrying their own revision: calico-node's status reporter updates the value its
 * watch gave it, and in etcd that value has no revision unless it carries one
 * ({@link EtcdKv#createWithOwnRevision}); without it the reporter's every update is refused.
 */
final class EtcdNodeStatuses implements NodeStatusStore {
    private static final Logger log = LoggerFactory.getLogger(EtcdNodeStatuses.class);
    private static final int RACE_ATTEMPTS = 3;
    private static final Duration RACE_PAUSE = Duration.ofSeconds(1);
    private final Client client;
    private final EtcdKv kv;
    private final EtcdResources<CalicoNodeStatus> statuses;
    private final Runnable changed;
    private final ScheduledExecutorService scheduler;
    private final CalicoStore<CalicoNodeStatus> writes = new Writes();
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
        return writes;
    }

    /** The statuses' writes, creates carrying their own revision. */
    private final class Writes implements CalicoStore<CalicoNodeStatus> {
        @Override
        public KubernetesApiResponse<CalicoNodeStatus> get(String name) {
            return statuses.get(name);
        }

        /**
         * A create taken back (another write came between) is tried again after {@link #RACE_PAUSE}, so
         * the reporter sees the delete apart from the next create: it ignores a new value of the same
         * spec, and the taken-back value named the wrong revision. After {@link #RACE_ATTEMPTS}, the next
         * check creates it.
         */
        @Override
        public KubernetesApiResponse<CalicoNodeStatus> create(CalicoNodeStatus status) {
            EtcdKv.Created<CalicoNodeStatus> created = statuses.createWithOwnRevision(status);
            for (int attempt = 1; created.raced() && attempt < RACE_ATTEMPTS; attempt++) {
                try {
                    Thread.sleep(RACE_PAUSE.toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
                created = statuses.createWithOwnRevision(status);
            }
            if (created.raced()) {
                log.info("CalicoNodeStatus {} not created: other writes to etcd came between reading the revision and "
                        + "creating it with that revision (calico-node's status reporter needs it) {} times; created "
                        + "again at the next check", status.getMetadata().getName(), RACE_ATTEMPTS);
            }
            return created.response();
        }

        @Override
        public KubernetesApiResponse<CalicoNodeStatus> mergePatch(String name, String patch) {
            return statuses.mergePatch(name, patch);
        }

        @Override
        public KubernetesApiResponse<CalicoNodeStatus> delete(String name) {
            return statuses.delete(name);
        }
    }
}
