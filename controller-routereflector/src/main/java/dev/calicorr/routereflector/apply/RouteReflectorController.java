package dev.calicorr.routereflector.apply;

import dev.calicorr.core.kube.CalicoApi;
import dev.calicorr.core.plugin.ControllerContext;
import dev.calicorr.core.plugin.ManagedController;
import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.kube.BgpConfiguration;
import dev.calicorr.routereflector.kube.BgpPeer;
import dev.calicorr.routereflector.kube.BgpPeerList;
import dev.calicorr.routereflector.kube.NodeFactsReader;
import dev.calicorr.routereflector.metrics.RouteReflectorMetrics;
import io.kubernetes.client.extended.controller.Controller;
import io.kubernetes.client.extended.controller.builder.ControllerBuilder;
import io.kubernetes.client.extended.controller.reconciler.Request;
import io.kubernetes.client.extended.controller.reconciler.Result;
import io.kubernetes.client.extended.workqueue.DefaultRateLimitingQueue;
import io.kubernetes.client.extended.workqueue.RateLimitingQueue;
import io.kubernetes.client.extended.workqueue.ratelimiter.ItemExponentialFailureRateLimiter;
import io.kubernetes.client.informer.SharedIndexInformer;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.models.V1Node;
import io.kubernetes.client.openapi.models.V1NodeList;
import io.kubernetes.client.util.generic.GenericKubernetesApi;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires the route reflector controller: informers on Nodes and BGPPeers (registered with the
 * host's one factory), one work queue whose single key every event maps to, and the reconciler.
 */
public final class RouteReflectorController implements ManagedController<RouteReflectorConfig> {
    private static final Logger log = LoggerFactory.getLogger(RouteReflectorController.class);

    private final AtomicReference<RouteReflectorConfig> config;
    private final RateLimitingQueue<Request> queue;
    private final ItemExponentialFailureRateLimiter<Request> backoff =
            new ItemExponentialFailureRateLimiter<>(Duration.ofMillis(200), Duration.ofSeconds(30));
    private final Controller controller;
    private final RouteReflectorReconciler reconciler;

    public RouteReflectorController(ControllerContext context, RouteReflectorConfig initial) {
        this(context, initial, Clock.systemUTC());
    }

    /** @param clock the wall clock of this replica (tests give one that is off) */
    RouteReflectorController(ControllerContext context, RouteReflectorConfig initial, Clock clock) {
        this.config = new AtomicReference<>(initial);
        warnAboutConfig(initial);
        SharedIndexInformer<V1Node> nodeInformer = context.informer(
                client -> new GenericKubernetesApi<>(V1Node.class, V1NodeList.class, "", "v1", "nodes", client),
                V1Node.class, Duration.ZERO, NodeFactsReader::slim);
        SharedIndexInformer<BgpPeer> peerInformer = context.informer(RouteReflectorController::peers, BgpPeer.class,
                Duration.ZERO, null);
        // BGPConfiguration: one or two objects in a cluster; only `default` matters (the mesh)
        SharedIndexInformer<BgpConfiguration> bgpConfigInformer = context.informer(MeshHandOff::api,
                BgpConfiguration.class, Duration.ZERO, null);
        RouteReflectorMetrics metrics = new RouteReflectorMetrics(context.metrics());
        GenericKubernetesApi<BgpPeer, BgpPeerList> peerApi = peers(context.apiClient());
        queue = new DefaultRateLimitingQueue<>(Executors.newSingleThreadExecutor(), backoff);
        // CalicoNodeStatus: an informer only where the CRD is installed (detected here, again later)
        SessionChecks sessionChecks = new SessionChecks(context, metrics, () -> queue.add(RouteReflectorReconciler.KEY),
                clock);
        reconciler = new RouteReflectorReconciler(nodeInformer.getIndexer(), peerInformer.getIndexer(), config::get,
                new StepExecutor(context.apiClient(), peerApi, context.dryRun(), metrics,
                        new PeerNames(peerInformer.getIndexer())), context.events(), metrics,
                new LegacyPeers(peerApi, context.events(), context.dryRun()),
                new TopologyReport(context.apiClient(), context.dryRun()), sessionChecks,
                new MeshHandOff(bgpConfigInformer.getIndexer(), context.apiClient(), context.events(), metrics,
                        context.dryRun()),
                context.dryRun(), clock, context::mayWrite);
        controller = ControllerBuilder.defaultBuilder(context.informerFactory())
                .withName("routereflector")
                .withWorkQueue(queue)
                .watch(q -> ControllerBuilder.controllerWatchBuilder(V1Node.class, q)
                        .withWorkQueueKeyFunc(node -> RouteReflectorReconciler.KEY)
                        .withOnUpdateFilter((before, after) ->
                                !NodeFactsReader.read(before).equals(NodeFactsReader.read(after)))
                        .build())
                .watch(q -> ControllerBuilder.controllerWatchBuilder(BgpPeer.class, q)
                        .withWorkQueueKeyFunc(peer -> RouteReflectorReconciler.KEY)
                        .build())
                .watch(q -> ControllerBuilder.controllerWatchBuilder(BgpConfiguration.class, q)
                        .withWorkQueueKeyFunc(configuration -> RouteReflectorReconciler.KEY)
                        .withOnAddFilter(MeshHandOffFilter::isDefault)
                        .withOnUpdateFilter((before, after) -> MeshHandOffFilter.isDefault(after))
                        .withOnDeleteFilter((configuration, unknown) -> MeshHandOffFilter.isDefault(configuration))
                        .build())
                .withReconciler(this::reconcile)
                .withReadyFunc(() -> nodeInformer.hasSynced() && peerInformer.hasSynced()
                        && bgpConfigInformer.hasSynced())
                .withWorkerCount(1)
                .build();
    }

    /**
     * A reconcile that finished says when to look again ({@code requeueAfter}); one that failed
     * asks for backoff (none). client-java's controller forgets a key's failures only for a result
     * without requeue, so a finished reconcile forgets them here: the next failure backs off from
     * 200 ms again instead of from where the last failures left it (up to 30 s).
     */
    private Result reconcile(Request request) {
        Result result = reconciler.reconcile(request);
        if (result.getRequeueAfter() != null) {
            queue.forget(request);
        }
        return result;
    }

    /** Test seam: the failed reconciles in a row the backoff counts now. */
    int failuresCounted() {
        return backoff.numRequeues(RouteReflectorReconciler.KEY);
    }

    static GenericKubernetesApi<BgpPeer, BgpPeerList> peers(ApiClient client) {
        return CalicoApi.api(BgpPeer.class, BgpPeerList.class, BgpPeer.PLURAL, client);
    }

    /** Test seam: see {@link RouteReflectorReconciler.StepHook}. */
    public RouteReflectorReconciler reconciler() {
        return reconciler;
    }

    @Override
    public void run() {
        queue.add(RouteReflectorReconciler.KEY);
        controller.run();
    }

    @Override
    public void shutdown() {
        controller.shutdown();
    }

    @Override
    public void configChanged(RouteReflectorConfig next) {
        warnAboutConfig(next);
        config.set(next);
        reconciler.setDisabled(false);
        queue.add(RouteReflectorReconciler.KEY);
    }

    /** Leaves the topology as it is; turns the mesh back on if we turned it off; drops our CalicoNodeStatuses. */
    @Override
    public void disabled() {
        reconciler.setDisabled(true);
        queue.add(RouteReflectorReconciler.KEY);
    }

    /** Only {@code BGPConfiguration/default} matters to the controller. */
    private static final class MeshHandOffFilter {
        static boolean isDefault(BgpConfiguration configuration) {
            return BgpConfiguration.DEFAULT_NAME.equals(configuration.getMetadata().getName());
        }
    }

    private static void warnAboutConfig(RouteReflectorConfig config) {
        if (config.min() < 3) {
            log.warn("min={} is below 3: a single route reflector failure can leave clients with none", config.min());
        }
    }
}
