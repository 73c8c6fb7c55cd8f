package dev.calicorr.core.plugin;

import dev.calicorr.core.config.EtcdSettings;
import dev.calicorr.core.kube.ApiUnavailableException;
import io.kubernetes.client.common.KubernetesListObject;
import io.kubernetes.client.common.KubernetesObject;
import io.kubernetes.client.extended.event.legacy.EventRecorder;
import io.kubernetes.client.informer.SharedIndexInformer;
import io.kubernetes.client.informer.SharedInformerFactory;
import io.kubernetes.client.informer.TransformFunc;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.util.generic.GenericKubernetesApi;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;

/** What the host gives a plugin: the shared API plumbing, owned and started by the host. */
public interface ControllerContext {

    /** For reads and writes; has request timeouts (informers use a client of their own). */
    ApiClient apiClient();

    /** The one informer factory of the process; prefer {@link #informer} to register with it. */
    SharedInformerFactory informerFactory();

    /**
     * Registers (or reuses: one informer per type) the shared informer for a type. The host starts
     * it, and reports ready only once it has synced. Its LIST comes in pages, each transformed as
     * it arrives, so the process never holds the full objects of a large cluster at once.
     *
     * @param api       builds the typed API on the client the host reserves for watches
     * @param transform applied to each object before it is cached (drop what the plugin never
     *                  reads, to keep memory flat at scale), or null; the first registration of a
     *                  type decides its transform
     */
    <T extends KubernetesObject, L extends KubernetesListObject> SharedIndexInformer<T> informer(
            Function<ApiClient, GenericKubernetesApi<T, L>> api, Class<T> type, Duration resync,
            TransformFunc transform);

    /** Records Kubernetes Events; the source component is the host's name. */
    EventRecorder events();

    /** Where the plugin registers its Prometheus metrics; served by the host. */
    PrometheusRegistry metrics();

    /**
     * Where Calico keeps its resources: empty for the Kubernetes datastore (CRDs), else the etcd of
     * {@code DATASTORE_TYPE=etcdv3}. Fixed for the life of the process (checked at start).
     */
    Optional<EtcdSettings> etcd();

    /**
     * Sets one annotation of {@code KubeControllersConfiguration/default} where this datastore keeps
     * it (the CR, or its key in etcd), for what a plugin reports to operators; the host writes
     * nothing else of it for the plugin.
     *
     * @param what for messages: what the annotation reports
     * @return whether it was written (false when the object does not exist or the write was refused)
     */
    boolean annotateConfiguration(String what, String key, String value) throws ApiUnavailableException;

    /** When true the plugin must log what it would do and write nothing. */
    boolean dryRun();

    /**
     * Whether this replica may write now: it leads, renewed its Lease within the renew deadline
     * (monotonic clock) and is not stopping. A controller checks it before each write of a long
     * plan, so a replica that lost the Lease (or is being stopped) writes nothing more, even
     * before its elector notices.
     */
    boolean mayWrite();
}
