package dev.calicorr.routereflector.model;

import java.util.List;

/** The observed state the planner starts from: every node and every BGPPeer the controller owns. */
public record ClusterSnapshot(List<NodeFacts> nodes, List<PeerFacts> ownedPeers) {
    public ClusterSnapshot {
        nodes = List.copyOf(nodes);
        ownedPeers = List.copyOf(ownedPeers);
    }
}
