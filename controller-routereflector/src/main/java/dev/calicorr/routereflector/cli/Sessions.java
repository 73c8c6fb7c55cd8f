package dev.calicorr.routereflector.cli;

import dev.calicorr.routereflector.model.Names;
import dev.calicorr.routereflector.model.NodeFacts;
import dev.calicorr.routereflector.model.PeerFacts;
import dev.calicorr.routereflector.sim.Bgp;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The BGP sessions that BGPPeers give a set of nodes, as calico-node sets them up ({@link Bgp}):
 * every Ready node selected by a peer's {@code nodeSelector} with every Ready node selected by its
 * {@code peerSelector}, both directions, the node-to-node mesh off. Nothing here knows a topology:
 * route reflectors are simply the nodes with a cluster ID, so any topology's peers are counted alike.
 */
public final class Sessions {
    private final List<NodeSessions> nodes;
    private final Map<String, NodeSessions> byName = new HashMap<>();
    private final Bgp bgp;
    private final Map<String, Boolean> reflector;

    /**
     * @param reflector       whether the node has a cluster ID (acts as a route reflector)
     * @param sessions        BGP sessions of the node
     * @param withReflectors  of them, sessions with route reflectors
     */
    public record NodeSessions(String node, boolean reflector, int sessions, int withReflectors) {
        /** Sessions with nodes that are no route reflector. */
        public int withClients() {
            return sessions - withReflectors;
        }
    }

    private Sessions(List<NodeSessions> nodes, Bgp bgp, Map<String, Boolean> reflector) {
        this.nodes = nodes;
        this.bgp = bgp;
        this.reflector = reflector;
        nodes.forEach(n -> byName.put(n.node(), n));
    }

    /** The sessions {@code peers} give {@code nodes}; nodes that are not Ready take part in none. */
    public static Sessions of(Collection<NodeFacts> nodes, Collection<PeerFacts> peers) {
        Bgp bgp = new Bgp(nodes, peers, false, Set.of());
        Map<String, Boolean> reflector = new HashMap<>();
        nodes.forEach(n -> reflector.put(n.name(), n.annotations().containsKey(Names.CLUSTER_ID_ANNOTATION)));
        List<NodeSessions> counted = new ArrayList<>();
        for (String node : bgp.upNodes()) {
            Set<String> peersOf = bgp.sessionsOf(node);
            int withReflectors = (int) peersOf.stream().filter(reflector::get).count();
            counted.add(new NodeSessions(node, reflector.get(node), peersOf.size(), withReflectors));
        }
        counted.sort(Comparator.comparing(NodeSessions::node));
        return new Sessions(List.copyOf(counted), bgp, reflector);
    }

    /** BGP session changes from {@code before} to these ({@link Bgp#sessionChanges}). */
    public long changesFrom(Sessions before) {
        return Bgp.sessionChanges(before.bgp, bgp);
    }

    /** The Ready nodes, by name. */
    public List<NodeSessions> nodes() {
        return nodes;
    }

    /** Zero sessions for a node that is not Ready (or unknown). */
    public NodeSessions of(String node) {
        NodeSessions found = byName.get(node);
        return found != null ? found : new NodeSessions(node, false, 0, 0);
    }

    /** The route reflectors {@code node} has a session with, by name; none for a node that is not Ready. */
    public List<String> reflectorPeersOf(String node) {
        return bgp.sessionsOf(node).stream().filter(reflector::get).sorted().toList();
    }

    public List<NodeSessions> reflectors() {
        return nodes.stream().filter(NodeSessions::reflector).toList();
    }

    public List<NodeSessions> clients() {
        return nodes.stream().filter(n -> !n.reflector()).toList();
    }

    /** Every session once. */
    public long total() {
        return nodes.stream().mapToLong(NodeSessions::sessions).sum() / 2;
    }

    /** The sessions of a full node-to-node mesh of the same Ready nodes: N(N-1)/2. */
    public long fullMesh() {
        long n = nodes.size();
        return n * (n - 1) / 2;
    }
}
