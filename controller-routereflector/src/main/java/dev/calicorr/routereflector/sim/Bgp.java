package dev.calicorr.routereflector.sim;

import dev.calicorr.routereflector.model.Names;
import dev.calicorr.routereflector.model.NodeFacts;
import dev.calicorr.routereflector.model.PeerFacts;
import dev.calicorr.routereflector.selector.Selector;
import dev.calicorr.routereflector.selector.SelectorParseException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What calico-node makes of a cluster (CALICO-FACTS.md): BGP sessions from the node-to-node mesh
 * and the BGPPeers, and route propagation with iBGP and route reflection rules. Down nodes (not
 * Ready, or listed as failed) take part in nothing.
 */
public final class Bgp {
    private final Map<String, NodeFacts> up = new HashMap<>();
    private final Map<String, Set<String>> sessions = new HashMap<>();

    public Bgp(Collection<NodeFacts> nodes, Collection<PeerFacts> peers, boolean mesh, Set<String> failed) {
        for (NodeFacts node : nodes) {
            if (node.ready() && !failed.contains(node.name())) {
                up.put(node.name(), node);
                sessions.put(node.name(), new HashSet<>());
            }
        }
        if (mesh) {
            List<String> meshed = up.values().stream().filter(n -> clusterId(n) == null).map(NodeFacts::name).toList();
            for (int i = 0; i < meshed.size(); i++) {
                for (int j = i + 1; j < meshed.size(); j++) {
                    connect(meshed.get(i), meshed.get(j));
                }
            }
        }
        for (PeerFacts peer : peers) {
            List<String> local = matching(peer.nodeSelector());
            List<String> remote = matching(peer.peerSelector());
            for (String a : local) {
                for (String b : remote) {
                    if (!a.equals(b)) {
                        connect(a, b);
                    }
                }
            }
        }
    }

    private List<String> matching(String selectorText) {
        Selector selector;
        try {
            selector = Selector.parse(selectorText);
        } catch (SelectorParseException e) {
            throw new IllegalStateException("planner wrote an invalid selector: " + e.getMessage(), e);
        }
        return up.values().stream().filter(n -> selector.matches(n.labels())).map(NodeFacts::name).toList();
    }

    private void connect(String a, String b) {
        sessions.get(a).add(b);
        sessions.get(b).add(a);
    }

    static String clusterId(NodeFacts node) {
        return node.annotations().get(Names.CLUSTER_ID_ANNOTATION);
    }

    /**
     * BGP session changes from {@code before} to {@code after}: sessions added plus sessions removed,
     * each once (both its ends re-render BIRD for it). Churn, where a write count alone hides what a
     * write costs the data plane.
     */
    public static long sessionChanges(Bgp before, Bgp after) {
        Set<String> nodes = new HashSet<>(before.sessions.keySet());
        nodes.addAll(after.sessions.keySet());
        long ends = 0;
        for (String node : nodes) {
            Set<String> was = before.sessionsOf(node);
            Set<String> is = after.sessionsOf(node);
            for (String peer : was) {
                ends += is.contains(peer) ? 0 : 1;
            }
            for (String peer : is) {
                ends += was.contains(peer) ? 0 : 1;
            }
        }
        return ends / 2; // sessions are symmetric: every changed one was counted at both its ends
    }

    public Set<String> sessionsOf(String node) {
        return sessions.getOrDefault(node, Set.of());
    }

    /** Whether this up node has a session with at least one up node that has a cluster ID. */
    public boolean hasReflector(String node) {
        return sessionsOf(node).stream().anyMatch(peer -> clusterId(up.get(peer)) != null);
    }

    public Set<String> upNodes() {
        return up.keySet();
    }

    /**
     * The up nodes that learn the route of {@code origin}. Like BGP, each node keeps one best route
     * (the first offer it accepts, in order of path length, ties to the lower peer name) and
     * advertises only that one, by the iBGP and route reflection rules.
     */
    public Set<String> learners(String origin) {
        record Offer(String to, String from, List<String> clusterList) { }
        Set<String> learned = new TreeSet<>();
        learned.add(origin);
        Deque<Offer> queue = new ArrayDeque<>();
        new TreeSet<>(sessionsOf(origin)).forEach(peer -> queue.add(new Offer(peer, origin, List.of())));
        while (!queue.isEmpty()) {
            Offer offer = queue.poll();
            if (learned.contains(offer.to())) {
                continue;
            }
            String ownId = clusterId(up.get(offer.to()));
            if (ownId != null && offer.clusterList().contains(ownId)) {
                continue; // CLUSTER_LIST loop prevention: rejected, a later offer may still come
            }
            learned.add(offer.to());
            if (ownId == null) {
                continue; // a non-reflector never passes an iBGP route on
            }
            boolean fromClient = !ownId.equals(clusterId(up.get(offer.from())));
            List<String> list = new ArrayList<>(offer.clusterList());
            list.add(ownId);
            for (String next : new TreeSet<>(sessionsOf(offer.to()))) {
                if (next.equals(offer.from()) || learned.contains(next)) {
                    continue;
                }
                boolean toClient = !ownId.equals(clusterId(up.get(next)));
                if (fromClient || toClient) {
                    queue.add(new Offer(next, offer.to(), List.copyOf(list)));
                }
            }
        }
        return learned;
    }

    /** Pairs (origin, node) where an up node does not learn an up origin's route. */
    public List<String> unreachable() {
        List<String> missing = new ArrayList<>();
        for (String origin : new TreeSet<>(up.keySet())) {
            Set<String> learners = learners(origin);
            for (String node : new TreeSet<>(up.keySet())) {
                if (!learners.contains(node)) {
                    missing.add(node + " misses " + origin);
                }
            }
        }
        return missing;
    }
}
