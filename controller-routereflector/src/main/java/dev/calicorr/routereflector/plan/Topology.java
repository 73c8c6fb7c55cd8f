package dev.calicorr.routereflector.plan;

import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.model.PeerFacts;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * What a topology decides (docs/topologies.md): the cluster IDs of its RRs, where clients go and
 * the BGPPeers that join them. The passes every topology shares feed it: eligibility, counting,
 * the zone seat split and selection. One instance per plan, so a topology keeps what it decided
 * for the questions that follow.
 */
interface Topology {
    static Topology of(RouteReflectorConfig config) {
        return switch (config.topologyType()) {
            case SINGLE -> new SingleTopology(config.clusterId());
            case MULTI -> new MultiTopology(config);
            case QUORUM -> new QuorumTopology(config.clusterId());
            case HIERARCHY -> new HierarchyTopology(config.clusterId());
        };
    }

    /** The highest RR index there may be. */
    default long indexCapacity() {
        return Integer.MAX_VALUE;
    }

    /**
     * Sets {@code targetGroup} on the clients (and the RRs demoted now) and returns each group's
     * RR indexes by group id.
     *
     * @param serving       the targets clients may go to: the live ones (all when none is live)
     * @param observedPeers our BGPPeers as observed, by name
     */
    Map<String, List<Integer>> assignClients(List<View> views, List<View> serving, Map<String, PeerFacts> observedPeers,
            List<String> warnings);

    /** The cluster ID a target or draining RR serves with at the end of this plan. */
    String clusterId(View rr);

    /**
     * The BGPPeers of the topology while it has an RR: RRs meshed, and each group that has clients
     * ({@code used}) with its RRs.
     */
    default List<PeerFacts> peers(String rrSelector, Map<String, List<Integer>> groups, Set<String> used) {
        List<PeerFacts> peers = new ArrayList<>();
        peers.add(Peers.mesh(rrSelector));
        peers.addAll(Peers.groups(groups, used));
        return peers;
    }

    /**
     * Each target's number of clients: a group's clients peer with each of its RRs.
     *
     * @param clientsPerGroup clients (and RRs demoted now) per target group
     * @param clients         every client
     */
    default Map<String, Integer> clientsPerRr(List<View> targets, Map<String, List<Integer>> groups,
            Map<String, int[]> clientsPerGroup, int clients) {
        Map<String, Integer> perRr = new TreeMap<>();
        Map<Integer, String> byIndex = new HashMap<>();
        targets.forEach(t -> {
            perRr.put(t.name(), 0);
            byIndex.put(t.targetIndex, t.name());
        });
        clientsPerGroup.forEach((group, count) -> groups.get(group).stream().map(byIndex::get)
                .filter(Objects::nonNull).forEach(rr -> perRr.merge(rr, count[0], Integer::sum)));
        return perRr;
    }
}
