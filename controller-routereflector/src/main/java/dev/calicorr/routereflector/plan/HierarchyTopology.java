package dev.calicorr.routereflector.plan;

import dev.calicorr.routereflector.config.ClusterIdTemplate;
import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.model.PeerFacts;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;

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
    private final String rackLabel;
    private final int reflectorsPerRack;
    /** the targets chosen as spines (shared cluster ID) rather than rack RRs */
    private final Set<View> spines = new HashSet<>();
    /** each rack's number in the template, as {@link #assignClients} decided: its RRs' cluster ID */
    private final Map<String, Integer> rackNumbers = new HashMap<>();

    HierarchyTopology(RouteReflectorConfig config) {
        this.template = config.clusterId();
        this.rackLabel = config.rackLabel();
        this.reflectorsPerRack = config.reflectorsPerRack();
    }

    @Override
    public String rackLabel() {
        return rackLabel;
    }

    /** The count is the spines'; they group no clients by count, so they go without hysteresis. */
    @Override
    public int hysteresis() {
        return 0;
    }

    /**
     * Current spines keep their seats, the RRs a rack keeps stay there; other RRs (e.g. of another
     * topology) are candidates like clients, so new spines spread over racks. Then each rack's RRs.
     */
    @Override
    public void chooseTargets(Selection selection, int total, List<String> warnings) {
        Set<View> rackKeepers = rackKeepers(selection);
        Predicate<View> candidate = v -> !v.reflector || !isSpineNow(v) && !rackKeepers.contains(v);
        selection.seatZones(total, this::isSpineNow, candidate, Map.of(), true, spines::add);
        // a zone whose eligible nodes are all rack RRs overflows its spine seats to the others
        int unfilled = total - selection.withRole(Role.TARGET).size();
        if (unfilled > 0) {
            selection.pick(Map.of("", unfilled), Selection.byKey(selection.reflectors, this::isSpineNow, v -> ""),
                    candidate, v -> "", "cluster", true, spines::add);
        }
        // every eligible node is a rack RR: one becomes the spine, or the racks would never meet
        if (selection.withRole(Role.TARGET).isEmpty()) {
            Selection.first(selection.reflectors.stream()
                            .filter(v -> v.role == Role.CLIENT && v.eligible() && isRackNow(v)).toList(), 1)
                    .forEach(v -> {
                        selection.choose(v);
                        spines.add(v);
                        selection.promoteReasons.put(v.name(), "no-spine");
                    });
        }
        chooseRackReflectors(selection, warnings);
    }

    /** Every RR keeps its tier. */
    @Override
    public void keepTargets(Selection selection) {
        selection.keepAll();
        selection.reflectors.stream().filter(v -> !isRackNow(v)).forEach(spines::add);
    }

    /**
     * The RRs serving with a rack ID that their rack keeps (the first reflectorsPerRack in keep
     * order), never taken as spines; the others, e.g. the RRs of another topology, may become spines.
     */
    private Set<View> rackKeepers(Selection selection) {
        Map<String, List<View>> byRack = Selection.byKey(selection.reflectors, this::isRackNow, v -> v.rack);
        Set<View> keepers = new HashSet<>();
        byRack.values().forEach(rrs -> {
            rrs.sort(Selection.KEEP_ORDER);
            keepers.addAll(rrs.subList(0, Math.min(reflectorsPerRack, rrs.size())));
        });
        return keepers;
    }

    private boolean isSpineNow(View view) {
        return view.reflector && template.sharedId().equals(view.clusterId);
    }

    private boolean isRackNow(View view) {
        return view.reflector && view.currentCluster(template) > 0;
    }

    /** reflectorsPerRack RRs per rack from its eligible nodes the spines left. */
    private void chooseRackReflectors(Selection selection, List<String> warnings) {
        Map<String, Integer> perRack = new TreeMap<>();
        int unracked = 0;
        for (View view : selection.views) {
            if (view.role == Role.CLIENT && view.eligible()) {
                perRack.merge(view.rack, 1, Integer::sum);
                unracked += view.rack.isEmpty() ? 1 : 0;
            }
        }
        if (unracked > 0) {
            warnings.add(unracked + " eligible node(s) have no " + rackLabel + " label; they form the rack \"\"");
        }
        perRack.replaceAll((rack, count) -> Math.min(count, reflectorsPerRack));
        // a spine that is no longer needed drains instead of turning into a rack RR (no flapping between tiers)
        selection.pick(perRack, Selection.byKey(selection.reflectors, v -> !isSpineNow(v), v -> v.rack),
                v -> !v.reflector, v -> v.rack, "rack", false, v -> { });
    }

    /** Numbers the racks; a rack's clients join its RRs, the others the spines; returns group → RR indexes. */
    @Override
    public Map<String, List<Integer>> assignClients(List<View> views, List<View> targets,
            Map<String, PeerFacts> observedPeers, List<String> warnings) {
        Map<String, List<View>> racks = new TreeMap<>();
        List<Integer> spineIndexes = new ArrayList<>();
        for (View target : targets) {
            if (spines.contains(target)) {
                spineIndexes.add(target.targetIndex);
            } else {
                racks.computeIfAbsent(target.rack, r -> new ArrayList<>()).add(target);
            }
        }
        if (spineIndexes.isEmpty()) {
            // no spine (nothing eligible, every RR kept as it was): all RRs stand in as spines, a
            // mesh of distinct cluster IDs as in multi, so racks still meet and no client is cut off
            targets.forEach(t -> spineIndexes.add(t.targetIndex));
        }
        Map<Integer, List<Integer>> draining = Selection.drainingByCluster(views, template);
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
            List<Integer> indexes = rack.getValue().stream().map(rr -> rr.targetIndex).toList();
            groups.put(String.valueOf(cluster), Selection.withDraining(indexes, cluster, draining));
        }
        if (!spineIndexes.isEmpty()) {
            groups.put(SPINE_GROUP, Selection.withDraining(spineIndexes, 0, draining)); // spines: the template's own ID
        }
        for (View view : views) {
            if (view.role == Role.CLIENT || view.role == Role.DEMOTE) {
                Integer rackNumber = rackNumbers.get(view.rack);
                view.targetGroup = rackNumber != null ? String.valueOf(rackNumber)
                        : spineIndexes.isEmpty() ? null : SPINE_GROUP;
            }
        }
        return groups;
    }

    @Override
    public String clusterId(View rr) {
        if (rr.servesOnAsItIs()) {
            return rr.clusterId;
        }
        return spines.contains(rr) ? template.sharedId() : template.idFor(rackNumbers.get(rr.rack));
    }

    /** Every RR, spines too, with the spines; each rack's clients (and the spines' group) with their RRs. */
    @Override
    public List<PeerFacts> peers(String rrSelector, Map<String, List<Integer>> groups, Set<String> used) {
        List<PeerFacts> peers = new ArrayList<>();
        String spineIndexes = Peers.indexIn(groups.getOrDefault(SPINE_GROUP, List.of()));
        peers.add(new PeerFacts(Peers.SPINE_PEER, rrSelector, spineIndexes));
        peers.addAll(Peers.groups(groups, used));
        return peers;
    }
}
