package dev.calicorr.routereflector.model;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The observed state the planner starts from: every node and every BGPPeer the controller owns.
 *
 * @param sessions BGP session facts of route reflectors by node name, where Calico's
 *                 CalicoNodeStatus is available; empty where it is not (then only time gates a
 *                 hand-over). A route reflector missing from a present map has not reported yet.
 */
public record ClusterSnapshot(List<NodeFacts> nodes, List<PeerFacts> ownedPeers,
        Optional<Map<String, SessionFacts>> sessions) {
    public ClusterSnapshot {
        nodes = List.copyOf(nodes);
        ownedPeers = List.copyOf(ownedPeers);
        sessions = sessions.map(Map::copyOf);
    }

    /** Without session facts. */
    public ClusterSnapshot(List<NodeFacts> nodes, List<PeerFacts> ownedPeers) {
        this(nodes, ownedPeers, Optional.empty());
    }
}
