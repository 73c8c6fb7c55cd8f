package dev.calicorr.routereflector.datastore;

import dev.calicorr.core.kube.CalicoApi;
import dev.calicorr.core.plugin.ControllerContext;
import dev.calicorr.routereflector.kube.CalicoNodeStatus;
import dev.calicorr.routereflector.kube.CalicoNodeStatusList;
import io.kubernetes.client.informer.ResourceEventHandler;
import io.kubernetes.client.informer.SharedIndexInformer;
import io.kubernetes.client.informer.TransformFunc;
import io.kubernetes.client.informer.cache.Indexer;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.util.generic.GenericKubernetesApi;
import io.kubernetes.client.util.generic.KubernetesApiResponse;
import io.kubernetes.client.util.generic.options.ListOptions;
import java.time.Duration;

/** CalicoNodeStatus CRs: a shared informer of the host, and the calls as they are. */
final class KddNodeStatuses implements NodeStatusStore {
    private final ControllerContext context;
    private final KddStore<CalicoNodeStatus, CalicoNodeStatusList> writes;
    private volatile SharedIndexInformer<CalicoNodeStatus> informer;

    KddNodeStatuses(ControllerContext context) {
        this.context = context;
        this.writes = new KddStore<>(api(context.apiClient()));
    }

    static GenericKubernetesApi<CalicoNodeStatus, CalicoNodeStatusList> api(ApiClient client) {
        return CalicoApi.api(CalicoNodeStatus.class, CalicoNodeStatusList.class, CalicoNodeStatus.PLURAL, client);
    }

    @Override
    public KubernetesApiResponse<CalicoNodeStatusList> probe() {
        ListOptions one = new ListOptions();
        one.setLimit(1);
        return writes.api().list(one);
    }

    @Override
    public String absence() {
        return "the CalicoNodeStatus CRD (" + CalicoApi.crdName(CalicoNodeStatus.PLURAL) + ") is not installed";
    }

    @Override
    public String accessHint() {
        return "the ClusterRole of deploy/rbac.yaml grants what they need";
    }

    @Override
    public synchronized void watch(TransformFunc transform, ResourceEventHandler<CalicoNodeStatus> handler) {
        if (informer != null) {
            return;
        }
        SharedIndexInformer<CalicoNodeStatus> created = context.informer(KddNodeStatuses::api,
                CalicoNodeStatus.class, Duration.ZERO, transform);
        created.addEventHandler(handler);
        informer = created;
    }

    @Override
    public Indexer<CalicoNodeStatus> cache() {
        return informer.getIndexer();
    }

    @Override
    public boolean hasSynced() {
        return informer != null && informer.hasSynced();
    }

    @Override
    public CalicoStore<CalicoNodeStatus> writes() {
        return writes;
    }
}
