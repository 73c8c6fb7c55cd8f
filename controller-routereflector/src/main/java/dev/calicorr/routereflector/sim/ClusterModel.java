package dev.calicorr.routereflector.sim;

import dev.calicorr.routereflector.model.ClusterSnapshot;
import dev.calicorr.routereflector.model.NodeFacts;
import dev.calicorr.routereflector.model.PeerFacts;
import dev.calicorr.routereflector.plan.Step;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A cluster as the API server would hold it: nodes and owned BGPPeers, to which plan steps are
 * applied one at a time, exactly as the applier's merge patches would.
 */
public final class ClusterModel {
    private final Map<String, NodeFacts> nodes = new TreeMap<>();
    private final Map<String, PeerFacts> peers = new TreeMap<>();

    public ClusterModel(Collection<NodeFacts> initial) {
        initial.forEach(this::put);
    }

    /** The observed cluster: its nodes and the BGPPeers we own, to apply a plan of it to. */
    public ClusterModel(ClusterSnapshot observed) {
        this(observed.nodes());
        observed.ownedPeers().forEach(peer -> peers.put(peer.name(), peer));
    }

    /** An independent copy, to look ahead without changing this one. */
    public ClusterModel copy() {
        return new ClusterModel(snapshot());
    }

    public void put(NodeFacts node) {
        nodes.put(node.name(), node);
    }

    public void remove(String name) {
        nodes.remove(name);
    }

    public NodeFacts node(String name) {
        return nodes.get(name);
    }

    public Collection<NodeFacts> nodes() {
        return nodes.values();
    }

    public Collection<PeerFacts> peers() {
        return peers.values();
    }

    public ClusterSnapshot snapshot() {
        return new ClusterSnapshot(new ArrayList<>(nodes.values()), new ArrayList<>(peers.values()));
    }

    public void apply(Step step) {
        if (step instanceof Step.PatchNode patch) {
            NodeFacts node = nodes.get(patch.node());
            if (node == null) {
                throw new IllegalStateException("patch of a missing node " + patch.node());
            }
            nodes.put(node.name(), new NodeFacts(node.name(), merge(node.labels(), patch.labels()),
                    merge(node.annotations(), patch.annotations()), node.ready(), node.unschedulable(), node.taints(),
                    node.created()));
        } else if (step instanceof Step.CreatePeer create) {
            if (peers.putIfAbsent(create.peer().name(), create.peer()) != null) {
                throw new IllegalStateException("create of an existing peer " + create.peer().name());
            }
        } else if (step instanceof Step.UpdatePeer update) {
            if (peers.put(update.peer().name(), update.peer()) == null) {
                throw new IllegalStateException("update of a missing peer " + update.peer().name());
            }
        } else if (step instanceof Step.DeletePeer delete) {
            if (peers.remove(delete.name()) == null) {
                throw new IllegalStateException("delete of a missing peer " + delete.name());
            }
        }
    }

    private static Map<String, String> merge(Map<String, String> base, Map<String, String> patch) {
        Map<String, String> out = new HashMap<>(base);
        patch.forEach((key, value) -> {
            if (value == null) {
                out.remove(key);
            } else {
                out.put(key, value);
            }
        });
        return out;
    }

    /** A node as a test describes it. */
    public static NodeFacts node(String name, String zone, boolean ready, Instant created) {
        return new NodeFacts(name, Map.of("topology.kubernetes.io/zone", zone, "kubernetes.io/hostname", name), Map.of(),
                ready, false, List.of(), created);
    }

    public static NodeFacts with(NodeFacts node, boolean ready, boolean unschedulable, List<NodeFacts.Taint> taints) {
        return new NodeFacts(node.name(), node.labels(), node.annotations(), ready, unschedulable, taints, node.created());
    }
}
