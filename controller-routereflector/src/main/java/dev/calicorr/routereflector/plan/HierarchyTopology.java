package dev.calicorr.routereflector.plan;

import dev.calicorr.routereflector.config.ClusterIdTemplate;
import dev.calicorr.routereflector.model.PeerFacts;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The {@code hierarchy} topology: each rack's RRs share the rack's number in the template (kept
 * while any of them serves with it; a new rack takes the lowest number no RR uses), spines share
 * the template itself. A rack's clients form the group of its RRs; clients of a rack without RRs
 * peer with the spines. Rack RRs never mesh with each other: every RR peers with the spines. The
 * {@link #SPINE_GROUP} lists the spines for the spine peer as well.
 */
final class HierarchyTopology implements Topology {
    /** The group of clients whose rack has no RR of its own. */
    static final String SPINE_GROUP = "spine";
    private final ClusterIdTemplate template;
    /** each rack's number in the template, as {@link #assignClients} decided: its RRs' cluster ID */
    private final Map<String, Integer> rackNumbers = new HashMap<>();

    HierarchyTopology(ClusterIdTemplate template) {
        this.template = template;
    }

    /** Numbers the racks; returns group → RR indexes. */
    @Override
    public Map<String, List<Integer>> assignClients(List<View> views, List<View> targets,
            Map<String, PeerFacts> observedPeers, List<String> warnings) {
        Map<String, List<View>> racks = new TreeMap<>();
        List<Integer> spines = new ArrayList<>();
        for (View target : targets) {
            if (target.targetSpine) {
                spines.add(target.targetIndex);
            } else {
                racks.computeIfAbsent(target.rack, r -> new ArrayList<>()).add(target);
            }
        }
        if (spines.isEmpty()) {
            // no spine (nothing eligible, every RR kept as it was): all RRs stand in as spines, a
            // mesh of distinct cluster IDs as in multi, so racks still meet and no client is cut off
            targets.forEach(t -> spines.add(t.targetIndex));
        }
        Map<Integer, List<Integer>> drainingByCluster = Planner.drainingByCluster(views, template);
        List<Integer> drainingSpines = drainingByCluster.getOrDefault(0, List.of());
        // a rack keeps the number most of its RRs serve with now; first claimant (by rack name) wins
        Set<Integer> claimed = new HashSet<>();
        racks.forEach((rack, rrs) -> {
            Map<Integer, Integer> votes = new TreeMap<>();
            rrs.stream().filter(rr -> rr.reflector).forEach(rr -> {
                int current = rr.currentCluster(template);
                if (current > 0) {
                    votes.merge(current, 1, Integer::sum);
                }
            });
            votes.entrySet().stream().filter(vote -> !claimed.contains(vote.getKey()))
                    .max(Map.Entry.<Integer, Integer>comparingByValue().thenComparing(e -> -e.getKey()))
                    .ifPresent(vote -> {
                        rackNumbers.put(rack, vote.getKey());
                        claimed.add(vote.getKey());
                    });
        });
        Set<Integer> inUse = new HashSet<>(claimed);
        views.stream().filter(View::isRr).forEach(v -> inUse.add(v.currentCluster(template)));
        int next = 1;
        Map<String, List<Integer>> groups = new LinkedHashMap<>();
        for (Map.Entry<String, List<View>> rack : racks.entrySet()) {
            Integer number = rackNumbers.get(rack.getKey());
            if (number == null) {
                while (inUse.contains(next)) {
                    next++;
                }
                if (next > template.capacity()) {
                    warnings.add("clusterId " + template + " has no number left for rack \"" + rack.getKey()
                            + "\": its clients peer with the spines");
                    rack.getValue().forEach(rr -> rr.role = Role.CLIENT);
                    continue;
                }
                number = next;
                inUse.add(number);
            }
            int cluster = number;
            rackNumbers.put(rack.getKey(), cluster);
            List<Integer> indexes = new ArrayList<>(rack.getValue().stream().map(rr -> rr.targetIndex).toList());
            indexes.addAll(drainingByCluster.getOrDefault(cluster, List.of()));
            groups.put(String.valueOf(cluster), indexes.stream().sorted().toList());
        }
        if (!spines.isEmpty()) {
            List<Integer> all = new ArrayList<>(spines);
            all.addAll(drainingSpines);
            groups.put(SPINE_GROUP, all.stream().sorted().toList());
        }
        for (View view : views) {
            if (view.role == Role.CLIENT || view.role == Role.DEMOTE) {
                Integer rackNumber = rackNumbers.get(view.rack);
                view.targetGroup = rackNumber != null ? String.valueOf(rackNumber)
                        : spines.isEmpty() ? null : SPINE_GROUP;
            }
        }
        return groups;
    }

    @Override
    public String clusterId(View rr) {
        if (rr.servesOnAsItIs()) {
            return rr.clusterId;
        }
        return rr.targetSpine ? template.sharedId() : template.idFor(rackNumbers.get(rr.rack));
    }

    /** Every RR, spines too, with the spines; each rack's clients (and the spines' group) with their RRs. */
    @Override
    public List<PeerFacts> peers(String rrSelector, Map<String, List<Integer>> groups, Set<String> used) {
        List<PeerFacts> peers = new ArrayList<>();
        peers.add(new PeerFacts(Peers.SPINE_PEER, rrSelector, Peers.indexIn(groups.getOrDefault(SPINE_GROUP, List.of()))));
        peers.addAll(Peers.groups(groups, used));
        return peers;
    }
}
