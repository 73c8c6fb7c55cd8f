package dev.calicorr.routereflector.apply;

import dev.calicorr.core.plugin.ControllerContext;
import dev.calicorr.core.plugin.ManagedController;
import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.datastore.Datastore;
import dev.calicorr.routereflector.datastore.EtcdDatastore;
import dev.calicorr.routereflector.datastore.KddDatastore;
import dev.calicorr.routereflector.kube.BgpPeer;
import dev.calicorr.routereflector.kube.BgpPeerList;
import dev.calicorr.routereflector.kube.NodeFactsReader;
import dev.calicorr.routereflector.metrics.RouteReflectorMetrics;
import io.kubernetes.client.extended.controller.Controller;
import io.kubernetes.client.extended.controller.builder.ControllerBuilder;
import io.kubernetes.client.extended.controller.builder.DefaultControllerBuilder;
import io.kubernetes.client.extended.controller.reconciler.Request;
import io.kubernetes.client.extended.controller.reconciler.Result;
import io.kubernetes.client.extended.workqueue.DefaultRateLimitingQueue;
import io.kubernetes.client.extended.workqueue.RateLimitingQueue;
import io.kubernetes.client.extended.workqueue.ratelimiter.ItemExponentialFailureRateLimiter;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.models.V1Node;
import io.kubernetes.client.util.generic.GenericKubernetesApi;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires the route reflector controller: the datastore chosen at start (Kubernetes, or Calico's
 * etcdv3 where the context names an etcd) with its caches of Nodes, BGPPeers and BGPConfigurations,
 * one work queue whose single key every change maps to, and the reconciler.
 */
public final class RouteReflectorController implements ManagedController<RouteReflectorConfig> {
    private static final Logger log = LoggerFactory.getLogger(RouteReflectorController.class);
    /**
     * How long the controller waits for its informers' first sync before it gives up (and the
     * host's liveness fails, so the pod restarts): client-java's default of 30 s is less than the
     * paged LIST of 20,000 real nodes takes on a busy apiserver. The Deployment's startupProbe
     * allows as long.
     */
    static final Duration INFORMER_SYNC_TIMEOUT = Duration.ofMinutes(5);

    private final AtomicReference<RouteReflectorConfig> config;
    private final RateLimitingQueue<Request> queue;
    private final ItemExponentialFailureRateLimiter<Request> backoff =
            new ItemExponentialFailureRateLimiter<>(Duration.ofMillis(200), Duration.ofSeconds(30));
    private final Controller controller;
    private final RouteReflectorReconciler reconciler;
    private final Datastore datastore;

    public RouteReflectorController(ControllerContext context, RouteReflectorConfig initial) {
        this(context, initial, Clock.systemUTC());
    }

    /** @param clock the wall clock of this replica (tests give one that is off) */
    RouteReflectorController(ControllerContext context, RouteReflectorConfig initial, Clock clock) {
        this.config = new AtomicReference<>(initial);
        warnAboutConfig(initial);
        datastore = context.etcd().<Datastore>map(etcd -> new EtcdDatastore(context, etcd))
                .orElseGet(() -> new KddDatastore(context));
        datastore.reflectorLabel(initial.routeReflectorLabelKey());
        RouteReflectorMetrics metrics = new RouteReflectorMetrics(context.metrics());
        queue = new DefaultRateLimitingQueue<>(Executors.newSingleThreadExecutor(), backoff);
        // CalicoNodeStatus: watched only where it can be had (KDD: the CRD is installed; detected here, again later)
        SessionChecks sessionChecks = new SessionChecks(context, metrics, () -> queue.add(RouteReflectorReconciler.KEY),
                clock, datastore.nodeStatuses());
        reconciler = new RouteReflectorReconciler(datastore.nodes(), datastore.peers(), config::get,
                new StepExecutor(datastore.nodeWrites(), datastore.peerWrites(), context.dryRun(), metrics,
                        new PeerNames(datastore.peers())), context.events(), metrics,
                new LegacyPeers(datastore.peerWrites(), context.events(), context.dryRun()),
                new TopologyReport(context), sessionChecks,
                new MeshHandOff(datastore.bgpConfigurations(), datastore.bgpConfigurationWrites(), context.events(),
                        metrics, context.dryRun()),
                context.dryRun(), clock, context::mayWrite);
        DefaultControllerBuilder builder = ControllerBuilder.defaultBuilder(context.informerFactory())
                .withName("routereflector")
                .withWorkQueue(queue)
                .watch(q -> ControllerBuilder.controllerWatchBuilder(V1Node.class, q)
                        .withWorkQueueKeyFunc(node -> RouteReflectorReconciler.KEY)
                        .withOnUpdateFilter((before, after) ->
                                !NodeFactsReader.read(before).equals(NodeFactsReader.read(after)))
                        .build());
        controller = datastore.watch(builder, RouteReflectorReconciler.KEY, () -> queue.add(RouteReflectorReconciler.KEY))
                .withReconciler(this::reconcile)
                .withReadyFunc(datastore::hasSynced)
                .withReadyTimeout(INFORMER_SYNC_TIMEOUT)
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
        return KddDatastore.peerApi(client);
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
        datastore.close();
    }

    @Override
    public void configChanged(RouteReflectorConfig next) {
        warnAboutConfig(next);
        datastore.reflectorLabel(next.routeReflectorLabelKey());
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

    private static void warnAboutConfig(RouteReflectorConfig config) {
        if (config.min() < 3) {
            log.warn("min={} is below 3: a single route reflector failure can leave clients with none", config.min());
        }
    }
}
