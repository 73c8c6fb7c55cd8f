package dev.calicorr.routereflector.metrics;

import dev.calicorr.core.metrics.HostMetrics;
import dev.calicorr.routereflector.model.SessionFacts;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Map;

/** The route reflector controller's Prometheus metrics (design §6), prefixed like all of ours. */
public final class RouteReflectorMetrics {
    private static final String PREFIX = HostMetrics.PREFIX;

    private final Gauge desired;
    private final Gauge actual;
    private final Gauge clientsPerReflector;
    private final Gauge peersOwned;
    private final Gauge eligibleNodes;
    private final Histogram reconcileSeconds;
    private final Counter writes;
    private final Counter reconcileErrors;
    private final Counter restored;
    private final Gauge sessionChecks;
    private final Gauge sessionsEstablished;
    private final Gauge sessionsNotEstablished;
    private final Counter sessionsStuck;
    private final Gauge mesh;
    private final Counter changesHeldBack;
    private final Counter reconcilesCapped;
    private final Counter sessionChanges;

    public RouteReflectorMetrics(PrometheusRegistry registry) {
        desired = Gauge.builder().name(PREFIX + "route_reflectors_desired")
                .help("Route reflectors the plan wants, per zone").labelNames("zone").register(registry);
        actual = Gauge.builder().name(PREFIX + "route_reflectors")
                .help("Nodes serving as route reflectors (with a cluster ID), per zone").labelNames("zone")
                .register(registry);
        clientsPerReflector = Gauge.builder().name(PREFIX + "clients_per_route_reflector")
                .help("Client nodes peering with each route reflector").labelNames("node").register(registry);
        peersOwned = Gauge.builder().name(PREFIX + "bgppeers_owned")
                .help("BGPPeers managed by this controller").register(registry);
        eligibleNodes = Gauge.builder().name(PREFIX + "eligible_nodes")
                .help("Nodes that may be route reflectors").register(registry);
        reconcileSeconds = Histogram.builder().name(PREFIX + "reconcile_duration_seconds")
                .help("Time of one reconcile: plan plus API writes").register(registry);
        writes = Counter.builder().name(PREFIX + "api_writes_total")
                .help("API writes made, by object kind, operation and outcome")
                .labelNames("kind", "operation", "outcome").register(registry);
        reconcileErrors = Counter.builder().name(PREFIX + "reconcile_errors_total")
                .help("Reconciles that stopped on an API error and were retried").register(registry);
        restored = Counter.builder().name(PREFIX + "managed_objects_restored_total")
                .help("Objects we manage that someone else changed and we restored, by object kind")
                .labelNames("kind").register(registry);
        sessionChecks = Gauge.builder().name(PREFIX + "bgp_session_checks")
                .help("1 when BGP sessions are read from Calico's CalicoNodeStatus, 0 when its CRD is not installed")
                .register(registry);
        sessionsEstablished = Gauge.builder().name(PREFIX + "bgp_sessions_established")
                .help("BGP sessions of each route reflector in state Established, with Ready nodes (CalicoNodeStatus)")
                .labelNames("node").register(registry);
        sessionsNotEstablished = Gauge.builder().name(PREFIX + "bgp_sessions_not_established")
                .help("BGP sessions of each route reflector in any other state, with Ready nodes (CalicoNodeStatus)")
                .labelNames("node").register(registry);
        sessionsStuck = Counter.builder().name(PREFIX + "bgp_sessions_stuck_total")
                .help("BGP sessions of route reflectors found not Established for longer than sessionStuckAfter")
                .register(registry);
        mesh = Gauge.builder().name(PREFIX + "node_to_node_mesh")
                .help("1 while Calico's node-to-node mesh is on (BGPConfiguration/default), 0 while it is off")
                .register(registry);
        changesHeldBack = Counter.builder().name(PREFIX + "changes_held_back_total")
                .help("Changes whose break steps (narrowing peers, moves across groups, demotions) waited for the "
                        + "BGP sessions their make steps created, once per wait")
                .register(registry);
        reconcilesCapped = Counter.builder().name(PREFIX + "reconciles_capped_total")
                .help("Reconciles that stopped at maxStepsPerReconcile with steps of their plan left, and requeued")
                .register(registry);
        sessionChanges = Counter.builder().name(PREFIX + "bgp_session_changes_total")
                .help("BGP sessions added plus removed by this controller's node and BGPPeer writes, as calico-node "
                        + "makes them of the nodes and BGPPeers (each session once, not at both its ends)")
                .register(registry);
    }

    public void write(String kind, String operation, boolean success) {
        writes.labelValues(kind, operation, success ? "success" : "failure").inc();
    }

    public void reconciled(double seconds) {
        reconcileSeconds.observe(seconds);
    }

    public void reconcileFailed() {
        reconcileErrors.inc();
    }

    /** Someone else changed an object we manage, and the plan restores it. */
    public void restored(String kind) {
        restored.labelValues(kind).inc();
    }

    /** Replaces the per-zone and per-RR gauges with the plan's current view. */
    public void topology(Map<String, Integer> desiredPerZone, Map<String, Integer> actualPerZone,
            Map<String, Integer> clientsPerRr, int ownedPeers, int eligible) {
        desired.clear();
        actual.clear();
        clientsPerReflector.clear();
        desiredPerZone.forEach((zone, count) -> desired.labelValues(zone).set(count));
        actualPerZone.forEach((zone, count) -> actual.labelValues(zone).set(count));
        clientsPerRr.forEach((node, count) -> clientsPerReflector.labelValues(node).set(count));
        peersOwned.set(ownedPeers);
        eligibleNodes.set(eligible);
    }

    /** Replaces the per-RR session gauges; {@code available} false clears them. */
    public void sessions(boolean available, Map<String, SessionFacts> perReflector) {
        sessionChecks.set(available ? 1 : 0);
        sessionsEstablished.clear();
        sessionsNotEstablished.clear();
        perReflector.forEach((node, facts) -> {
            sessionsEstablished.labelValues(node).set(facts.established());
            sessionsNotEstablished.labelValues(node).set(facts.notEstablished());
        });
    }

    public void sessionsStuck(int count) {
        sessionsStuck.inc(count);
    }

    /** A reconcile stopped at maxStepsPerReconcile; the next one plans the rest. */
    public void reconcileCapped() {
        reconcilesCapped.inc();
    }

    /** The BGP sessions one reconcile's writes added plus removed. */
    public void sessionChanges(long count) {
        sessionChanges.inc(count);
    }

    public void changeHeldBack() {
        changesHeldBack.inc();
    }

    public void mesh(boolean enabled) {
        mesh.set(enabled ? 1 : 0);
    }
}
