package dev.calicorr.routereflector.config;

import dev.calicorr.routereflector.selector.Selector;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The effective, validated settings of the route reflector controller: the
 * {@code spec.controllers.routereflector} section merged with the environment (design §3).
 * Immutable; built by {@link RouteReflectorConfigParser}, consumed by the planner.
 *
 * @param nodeSelector only nodes matching it may be RRs ({@link Selector#all()} when unset)
 * @param steps        the {@code stepping} calculation's steps; empty for {@code linear} (by ratio)
 * @param zoneLabel    node label naming the zone; empty means the whole cluster is one zone
 * @param rackLabel    node label naming the rack ({@code hierarchy})
 * @param manageNodeToNodeMesh turn Calico's node-to-node mesh off once the topology serves, and back
 *                             on when it cannot be kept or the controller is disabled
 * @param sessionStuckAfter    a BGP session of a route reflector that is not Established for this
 *                             long is reported (where CalicoNodeStatus is available)
 * @param sessionSettleDelay   where calico-node does not report a session (no CalicoNodeStatus CRD, no
 *                             status for a node), how long after the writes that create it it counts
 *                             as up: the break steps of a change and the mesh hand-off wait this long
 * @param notReadyGrace        a route reflector whose node goes NotReady keeps its role this long
 *                             (while its BGP sessions, where reported, are still Established)
 * @param protectFromScaleDown while a node serves as an RR, it carries cluster-autoscaler's and
 *                             Karpenter's annotations that keep it from being scaled down or disrupted
 * @param maxStepsPerReconcile one reconcile writes at most this many steps of a plan, then requeues:
 *                             leadership and fresh observations are checked between batches
 */
public record RouteReflectorConfig(
        int min,
        int max,
        double ratio,
        List<ReflectorCount.Step> steps,
        String zoneLabel,
        String rackLabel,
        int reflectorsPerRack,
        TopologyType topologyType,
        int routeReflectorsPerNode,
        ClusterIdTemplate clusterId,
        String routeReflectorLabelKey,
        String routeReflectorLabelValue,
        String hostnameLabel,
        Selector nodeSelector,
        List<LabelMatch> incompatibleLabels,
        List<LabelMatch> preferredLabels,
        Set<String> tolerations,
        Duration removalDelay,
        Duration reconcilerPeriod,
        boolean adoptLegacyPeers,
        boolean manageNodeToNodeMesh,
        Duration sessionStuckAfter,
        Duration sessionSettleDelay,
        Duration notReadyGrace,
        boolean protectFromScaleDown,
        int maxStepsPerReconcile) {

    public static final int DEFAULT_MIN = 3;
    public static final int DEFAULT_MAX = 10;
    public static final double DEFAULT_RATIO = 0.005;
    public static final double MIN_RATIO = 0.001;
    public static final double MAX_RATIO = 1.0;
    public static final String DEFAULT_ZONE_LABEL = "topology.kubernetes.io/zone";
    /** Used for a node that lacks {@link #DEFAULT_ZONE_LABEL} when the zone label is the default. */
    public static final String LEGACY_ZONE_LABEL = "failure-domain.beta.kubernetes.io/zone";
    public static final String DEFAULT_RACK_LABEL = "topology.kubernetes.io/rack";
    public static final int DEFAULT_REFLECTORS_PER_RACK = 2;
    /** RRs per quorum in the {@code quorum} topology: any two may fail. */
    public static final int QUORUM_SIZE = 3;
    public static final TopologyType DEFAULT_TOPOLOGY = TopologyType.MULTI;
    public static final int DEFAULT_ROUTE_REFLECTORS_PER_NODE = 3;
    public static final String DEFAULT_RR_LABEL_KEY = "calico-route-reflector";
    public static final String DEFAULT_RR_LABEL_VALUE = "";
    public static final String DEFAULT_HOSTNAME_LABEL = "kubernetes.io/hostname";
    public static final Duration DEFAULT_REMOVAL_DELAY = Duration.ofSeconds(60);
    public static final Duration DEFAULT_RECONCILER_PERIOD = Duration.ofMinutes(5);
    public static final Duration DEFAULT_SESSION_STUCK_AFTER = Duration.ofMinutes(3);
    /**
     * confd's re-render plus BIRD's timers in Calico's template (3.28: connect delay 2s, connect
     * retry 5s, error wait 5s up to 30s): a session that can come up is up by then.
     */
    public static final Duration DEFAULT_SESSION_SETTLE_DELAY = Duration.ofSeconds(45);
    /** A kubelet or network blip is not BGP down: an RR node NotReady for less keeps its role. */
    public static final Duration DEFAULT_NOT_READY_GRACE = Duration.ofSeconds(60);
    /**
     * A batch of writes takes seconds (tens of ms each): the plan of a 20k-node cluster's first
     * reconcile (20k steps) is written in 40 batches, each re-planned from what is observed.
     */
    public static final int DEFAULT_MAX_STEPS_PER_RECONCILE = 500;

    public RouteReflectorConfig {
        steps = List.copyOf(steps);
        Objects.requireNonNull(zoneLabel, "zoneLabel");
        Objects.requireNonNull(rackLabel, "rackLabel");
        Objects.requireNonNull(topologyType, "topologyType");
        Objects.requireNonNull(clusterId, "clusterId");
        Objects.requireNonNull(routeReflectorLabelKey, "routeReflectorLabelKey");
        Objects.requireNonNull(routeReflectorLabelValue, "routeReflectorLabelValue");
        Objects.requireNonNull(hostnameLabel, "hostnameLabel");
        Objects.requireNonNull(nodeSelector, "nodeSelector");
        incompatibleLabels = List.copyOf(incompatibleLabels);
        preferredLabels = List.copyOf(preferredLabels);
        tolerations = Set.copyOf(tolerations);
        Objects.requireNonNull(removalDelay, "removalDelay");
        Objects.requireNonNull(reconcilerPeriod, "reconcilerPeriod");
        Objects.requireNonNull(sessionStuckAfter, "sessionStuckAfter");
        Objects.requireNonNull(sessionSettleDelay, "sessionSettleDelay");
        Objects.requireNonNull(notReadyGrace, "notReadyGrace");
    }

    /** How many RRs the cluster wants for its eligible nodes, before the [min, max] clamp. */
    public ReflectorCount calculation() {
        return steps.isEmpty() ? new ReflectorCount.Linear(ratio) : new ReflectorCount.Stepping(steps);
    }

    /**
     * The RR count that min, max and the calculation give for {@code eligible} nodes: the
     * calculation's, clamped to [min, max] and to the eligible nodes; before a topology rounds it
     * (quorum: whole quorums).
     */
    public int configuredCount(int eligible) {
        return Math.min(eligible, Math.max(min, Math.min(max, calculation().wanted(eligible))));
    }

    /** Every field at its default. */
    public static RouteReflectorConfig defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this config's values, to change a few of them. */
    public Builder toBuilder() {
        return new Builder().min(min).max(max).ratio(ratio).steps(steps).zoneLabel(zoneLabel)
                .rackLabel(rackLabel).reflectorsPerRack(reflectorsPerRack).topologyType(topologyType)
                .routeReflectorsPerNode(routeReflectorsPerNode).clusterId(clusterId)
                .routeReflectorLabelKey(routeReflectorLabelKey).routeReflectorLabelValue(routeReflectorLabelValue)
                .hostnameLabel(hostnameLabel).nodeSelector(nodeSelector).incompatibleLabels(incompatibleLabels)
                .preferredLabels(preferredLabels).tolerations(tolerations).removalDelay(removalDelay)
                .reconcilerPeriod(reconcilerPeriod).adoptLegacyPeers(adoptLegacyPeers)
                .manageNodeToNodeMesh(manageNodeToNodeMesh).sessionStuckAfter(sessionStuckAfter)
                .sessionSettleDelay(sessionSettleDelay).notReadyGrace(notReadyGrace)
                .protectFromScaleDown(protectFromScaleDown)
                .maxStepsPerReconcile(maxStepsPerReconcile);
    }

    /** Starts from the defaults; {@link #build()} does not validate (the parser does). */
    public static final class Builder {
        private int min = DEFAULT_MIN;
        private int max = DEFAULT_MAX;
        private double ratio = DEFAULT_RATIO;
        private List<ReflectorCount.Step> steps = List.of();
        private String zoneLabel = DEFAULT_ZONE_LABEL;
        private String rackLabel = DEFAULT_RACK_LABEL;
        private int reflectorsPerRack = DEFAULT_REFLECTORS_PER_RACK;
        private TopologyType topologyType = DEFAULT_TOPOLOGY;
        private int routeReflectorsPerNode = DEFAULT_ROUTE_REFLECTORS_PER_NODE;
        private ClusterIdTemplate clusterId = ClusterIdTemplate.DEFAULT;
        private String routeReflectorLabelKey = DEFAULT_RR_LABEL_KEY;
        private String routeReflectorLabelValue = DEFAULT_RR_LABEL_VALUE;
        private String hostnameLabel = DEFAULT_HOSTNAME_LABEL;
        private Selector nodeSelector = Selector.all();
        private List<LabelMatch> incompatibleLabels = List.of();
        private List<LabelMatch> preferredLabels = List.of();
        private Set<String> tolerations = Set.of();
        private Duration removalDelay = DEFAULT_REMOVAL_DELAY;
        private Duration reconcilerPeriod = DEFAULT_RECONCILER_PERIOD;
        private boolean adoptLegacyPeers;
        private boolean manageNodeToNodeMesh;
        private Duration sessionStuckAfter = DEFAULT_SESSION_STUCK_AFTER;
        private Duration sessionSettleDelay = DEFAULT_SESSION_SETTLE_DELAY;
        private Duration notReadyGrace = DEFAULT_NOT_READY_GRACE;
        private boolean protectFromScaleDown = true;
        private int maxStepsPerReconcile = DEFAULT_MAX_STEPS_PER_RECONCILE;

        private Builder() {
        }

        public Builder min(int value) { min = value; return this; }
        public Builder max(int value) { max = value; return this; }
        public Builder ratio(double value) { ratio = value; return this; }
        public Builder steps(List<ReflectorCount.Step> value) { steps = value; return this; }
        public Builder zoneLabel(String value) { zoneLabel = value; return this; }
        public Builder rackLabel(String value) { rackLabel = value; return this; }
        public Builder reflectorsPerRack(int value) { reflectorsPerRack = value; return this; }
        public Builder topologyType(TopologyType value) { topologyType = value; return this; }
        public Builder routeReflectorsPerNode(int value) { routeReflectorsPerNode = value; return this; }
        public Builder clusterId(ClusterIdTemplate value) { clusterId = value; return this; }
        public Builder routeReflectorLabelKey(String value) { routeReflectorLabelKey = value; return this; }
        public Builder routeReflectorLabelValue(String value) { routeReflectorLabelValue = value; return this; }
        public Builder hostnameLabel(String value) { hostnameLabel = value; return this; }
        public Builder nodeSelector(Selector value) { nodeSelector = value; return this; }
        public Builder incompatibleLabels(List<LabelMatch> value) { incompatibleLabels = value; return this; }
        public Builder preferredLabels(List<LabelMatch> value) { preferredLabels = value; return this; }
        public Builder tolerations(Set<String> value) { tolerations = value; return this; }
        public Builder removalDelay(Duration value) { removalDelay = value; return this; }
        public Builder reconcilerPeriod(Duration value) { reconcilerPeriod = value; return this; }
        public Builder adoptLegacyPeers(boolean value) { adoptLegacyPeers = value; return this; }
        public Builder manageNodeToNodeMesh(boolean value) { manageNodeToNodeMesh = value; return this; }
        public Builder sessionStuckAfter(Duration value) { sessionStuckAfter = value; return this; }
        public Builder sessionSettleDelay(Duration value) { sessionSettleDelay = value; return this; }
        public Builder notReadyGrace(Duration value) { notReadyGrace = value; return this; }
        public Builder protectFromScaleDown(boolean value) { protectFromScaleDown = value; return this; }
        public Builder maxStepsPerReconcile(int value) { maxStepsPerReconcile = value; return this; }

        public RouteReflectorConfig build() {
            return new RouteReflectorConfig(min, max, ratio, steps, zoneLabel, rackLabel,
                    reflectorsPerRack, topologyType, routeReflectorsPerNode,
                    clusterId, routeReflectorLabelKey, routeReflectorLabelValue, hostnameLabel, nodeSelector,
                    incompatibleLabels, preferredLabels, tolerations, removalDelay, reconcilerPeriod,
                    adoptLegacyPeers, manageNodeToNodeMesh, sessionStuckAfter, sessionSettleDelay, notReadyGrace,
                    protectFromScaleDown, maxStepsPerReconcile);
        }
    }
}
