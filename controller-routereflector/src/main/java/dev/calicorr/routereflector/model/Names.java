package dev.calicorr.routereflector.model;

/**
 * Every name the controller puts on the cluster, in one place, so none collides with Calico's own
 * kube-controllers or the route reflector fork (design §10).
 */
public final class Names {
    /** Our controller's name: value of the managed-by label, prefix of our label keys. */
    public static final String CONTROLLER_NAME = "calico-rr-controller";
    /** Label on every BGPPeer we own; we never change or delete a peer without it. */
    public static final String MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
    /** How calico-node reads {@code spec.bgp.routeReflectorClusterID} of a node in KDD. */
    public static final String CLUSTER_ID_ANNOTATION = "projectcalico.org/RouteReflectorClusterID";
    /** How calico-node publishes a node's BGP IPv4 address ({@code spec.bgp.ipv4Address}, CIDR form) in KDD. */
    public static final String IPV4_ADDRESS_ANNOTATION = "projectcalico.org/IPv4Address";
    /** The same for IPv6 ({@code spec.bgp.ipv6Address}). */
    public static final String IPV6_ADDRESS_ANNOTATION = "projectcalico.org/IPv6Address";
    /**
     * On {@code BGPConfiguration/default}, while we keep the node-to-node mesh off: what
     * {@code nodeToNodeMeshEnabled} was before ({@code true}, or {@code unset}), so we restore only
     * what we changed.
     */
    public static final String MESH_BEFORE_ANNOTATION = CONTROLLER_NAME + "/node-to-node-mesh-before";
    /** On an RR node: its stable index, the number its cluster ID and group peers refer to. */
    public static final String RR_INDEX_LABEL = CONTROLLER_NAME + "/rr-index";
    /** On a client node (multi topology): the group whose BGPPeer picks its RRs. */
    public static final String GROUP_LABEL = CONTROLLER_NAME + "/rr-group";
    /** On an RR node: when it got its cluster ID (ISO-8601), to honour {@code removalDelay}. */
    public static final String SERVING_SINCE_ANNOTATION = CONTROLLER_NAME + "/serving-since";
    /** cluster-autoscaler does not remove a node that says {@code "true"} here. */
    public static final String SCALE_DOWN_DISABLED_ANNOTATION = "cluster-autoscaler.kubernetes.io/scale-down-disabled";
    /** Karpenter neither consolidates nor disrupts a node that says {@code "true"} here. */
    public static final String DO_NOT_DISRUPT_ANNOTATION = "karpenter.sh/do-not-disrupt";
    /**
     * On an RR node: which of the two scale-down annotations above we put there (comma-separated), so
     * that a demotion removes only those and never one the operator set.
     */
    public static final String SCALE_DOWN_PROTECTION_ANNOTATION = CONTROLLER_NAME + "/scale-down-protection";
    /** Prefix of the names of the BGPPeers we own. */
    public static final String PEER_NAME_PREFIX = "rrc-";

    private Names() {
    }
}
