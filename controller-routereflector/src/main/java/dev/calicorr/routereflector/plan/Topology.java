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
 * What a topology decides (docs/topologies.md): how many RRs it wants and which (its tiers), their
 * cluster IDs, where clients go and the BGPPeers that join them. The passes every topology shares
 * feed it: eligibility and counting (Planner), the zone seat split (ZoneSplit) and selection
 * (Selection). One instance per plan, so a topology keeps what it decided for the questions that
 * follow; the planner asks in the order of the methods here.
 */
interface Topology {
    static Topology of(RouteReflectorConfig config) {
        return switch (config.topologyType()) {
            case SINGLE -> new SingleTopology(config.clusterId());
            case MULTI -> new MultiTopology(config);
            case QUORUM -> new QuorumTopology(config);
            case HIERARCHY -> new HierarchyTopology(config);
        };
    }

    /** The label whose value is a node's rack, or null: the topology has no racks. */
    default String rackLabel() {
        return null;
    }

    /**
     * Counting: whether NotReady nodes that would otherwise be eligible count for the calculation
     * (they are never targets). A kubelet that stops reporting is not a node gone: a topology whose
     * clients cannot be re-pointed when its count goes down keeps the count until such nodes come
     * back or are deleted.
     */
    default boolean countsNotReady() {
        return false;
    }

    /** Counting: the count the calculation asks for (clamped to min, max and the eligible nodes), made whole. */
    default int count(int computed, int eligible, List<String> warnings) {
        return computed;
    }

    /**
     * Counting: the step of the count's hysteresis, 0 for none. The RRs held now stay when they are
     * one step above the count: a cluster whose size sits on a ratio boundary would otherwise add
     * and drop an RR (and regroup ~N/R clients) with every node that comes and goes.
     */
    default int hysteresis() {
        return 1;
    }

    /** Selection: the {@code total} target RRs, spread over the zones. */
    default void chooseTargets(Selection selection, int total, List<String> warnings) {
        selection.seatZones(total, Map.of());
    }

    /** Selection when no node is eligible: every RR stays as it is. */
    default void keepTargets(Selection selection) {
        selection.keepAll();
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
