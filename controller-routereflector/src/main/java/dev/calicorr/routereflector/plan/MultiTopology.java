package dev.calicorr.routereflector.plan;

import dev.calicorr.routereflector.config.ClusterIdTemplate;
import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.model.PeerFacts;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The {@code multi} topology: an own cluster ID per RR (the template's number of its index), RRs
 * meshed, and client groups structured so the number of BGPPeers is O(R): every target RR r is
 * the primary of one group; the group's RRs are r, then the first RR after r on a
 * zone-interleaved ring that lies in another zone, then the next ones on the ring. A group whose
 * BGPPeer exists keeps the RRs it selects that are still targets and fills only its gaps that way,
 * each RR in at most k groups where it can be, so R going down rewrites the groups that lost an RR
 * and no other. A client joins a group whose primary is in its own zone (any group when its zone
 * has no RR), the groups of a zone filled evenly; a client keeps its group while it stays valid and
 * within the even share, so a new node costs one label write and a changed RR set costs a few peer
 * writes.
 *
 * <p>A group's id is a slot its primary holds, not the primary's index: an RR keeps the slot its
 * clients carry, and a replacement adopts the slot its predecessor's clients carry, taking its
 * place on the ring too. Replacing an RR therefore rewrites the few peers it was in, and no client.
 */
final class MultiTopology implements Topology {
    private final ClusterIdTemplate template;
    private final int perNode;

    MultiTopology(RouteReflectorConfig config) {
        this.template = config.clusterId();
        this.perNode = config.routeReflectorsPerNode();
    }

    /**
     * A zone that lost seats its clients still refer to (their groups) gets seats back first: a
     * successor there keeps those clients, as a zone's clients join its own RRs' groups.
     */
    @Override
    public void chooseTargets(Selection selection, int total, List<String> warnings) {
        selection.seatZones(total, groupsPerZone(selection.views));
    }

    /** Per zone, how many groups its eligible clients carry. */
    private static Map<String, Integer> groupsPerZone(List<View> views) {
        Map<String, Set<String>> carried = new HashMap<>();
        Set<String> zoneGroups = null;
        String lastZone = null;
        String lastGroup = null;
        for (View view : views) {
            if (view.reflector || view.group == null || !view.eligible()) {
                continue;
            }
            if (!view.zone.equals(lastZone)) {
                zoneGroups = carried.computeIfAbsent(view.zone, z -> new HashSet<>());
                lastZone = view.zone;
            } else if (view.group.equals(lastGroup)) {
                continue; // neighbours often share zone and group: no lookup
            }
            zoneGroups.add(view.group);
            lastGroup = view.group;
        }
        Map<String, Integer> counts = new HashMap<>();
        carried.forEach((zone, groups) -> counts.put(zone, groups.size()));
        return counts;
    }

    /** One cluster ID per index: no more indexes than the template has IDs. */
    @Override
    public long indexCapacity() {
        return template.capacity();
    }

    @Override
    public Map<String, List<Integer>> assignClients(List<View> views, List<View> serving,
            Map<String, PeerFacts> observedPeers, List<String> warnings) {
        return assign(views, serving, perNode, Peers.groupIndexes(observedPeers));
    }

    @Override
    public String clusterId(View rr) {
        return template.idFor(rr.targetIndex);
    }

    /**
     * Sets {@code targetGroup} on every client and returns each group's RR indexes (primary first),
     * keyed by the group id.
     *
     * @param serving the RR indexes each group's BGPPeer selects now (its last form), by group id:
     *                a group whose RR left with no successor in its zone keeps its clients and those
     *                of its RRs that stay, and takes others in place of the gone (one peer write, no
     *                client moves); a group of a target keeps those of its RRs that stay (see the class)
     */
    private static Map<String, List<Integer>> assign(List<View> views, List<View> targets, int perNode,
            Map<String, List<Integer>> serving) {
        Map<String, List<Integer>> groups = new LinkedHashMap<>();
        if (targets.isEmpty()) {
            return groups;
        }
        Map<String, List<View>> clientsByZone = new HashMap<>();
        Map<String, Set<String>> labelled = new HashMap<>(); // group label on live clients -> their zones
        Map<String, int[]> carriers = new HashMap<>(); // group label -> the clients carrying it
        int[] run = null;
        List<View> zoneClients = null;
        String lastZone = null;
        String lastGroup = null;
        for (View view : views) {
            if (view.role != Role.CLIENT && view.role != Role.DEMOTE) {
                continue;
            }
            // neighbours often share zone and group: no lookup
            boolean sameZone = zoneClients != null && view.zone.equals(zoneClients.get(0).zone);
            if (!sameZone) {
                zoneClients = clientsByZone.computeIfAbsent(view.zone, z -> new ArrayList<>());
            }
            zoneClients.add(view);
            if (!view.alive()) {
                // NotReady: it keeps its group (fill) and that group its peer (kubelet down is not BGP
                // down), but it takes no part in where the live clients go
                if (view.group != null) {
                    carriers.computeIfAbsent(view.group, g -> new int[1])[0]++;
                }
                continue;
            }
            if (view.group != null) {
                if (!(view.zone.equals(lastZone) && view.group.equals(lastGroup))) {
                    labelled.computeIfAbsent(view.group, g -> new HashSet<>()).add(view.zone);
                    run = carriers.computeIfAbsent(view.group, g -> new int[1]);
                }
                run[0]++;
            }
            lastZone = view.zone;
            lastGroup = view.group;
        }
        Map<View, Integer> slots = slots(labelled, targets);
        List<View> ring = ring(targets, slots);
        int k = Math.min(perNode, ring.size());
        Map<Integer, View> byIndex = new HashMap<>();
        Map<Integer, Integer> uses = new HashMap<>();
        ring.forEach(t -> {
            byIndex.put(t.targetIndex, t);
            uses.put(t.targetIndex, 1); // its own group: the bound below leaves it room there
        });
        boolean zonesToSpan = k >= 2 && ring.stream().map(t -> t.zone).distinct().count() > 1;
        // first what each group's peer selects now and keeps, all groups, so that filling a gap never
        // takes an RR another group keeps; then the gaps, by the ring rule
        List<List<Integer>> selected = ring.stream()
                .map(t -> serving.getOrDefault(String.valueOf(slots.get(t)), List.of())).toList();
        List<List<Integer>> members = new ArrayList<>();
        for (int i = 0; i < ring.size(); i++) {
            members.add(kept(ring.get(i), selected.get(i), byIndex, uses, k, zonesToSpan));
        }
        for (int i = 0; i < ring.size(); i++) {
            View primary = ring.get(i);
            List<Integer> group = members.get(i);
            while (group.size() < k) {
                boolean spans = group.stream().anyMatch(index -> !byIndex.get(index).zone.equals(primary.zone));
                View next = next(ring, i, group, selected.get(i), zonesToSpan && !spans ? primary.zone : null, uses, k);
                group.add(next.targetIndex);
                uses.merge(next.targetIndex, 1, Integer::sum);
            }
            groups.put(String.valueOf(slots.get(primary)), List.copyOf(group));
        }
        Set<String> headless = headless(carriers, slots, ring, byIndex, uses, k, serving, groups);

        Map<String, List<String>> groupsByZone = new HashMap<>();
        targets.stream().sorted(Comparator.comparing(slots::get))
                .forEach(t -> groupsByZone.computeIfAbsent(t.zone, z -> new ArrayList<>()).add(String.valueOf(slots.get(t))));
        List<String> allGroups = new ArrayList<>(groups.keySet());
        allGroups.sort(Comparator.comparingInt(Integer::parseInt));

        // a zone that took seats of a lost one holds more groups than its clients' share: its groups
        // keep theirs up to the bound of the cluster's even share (NotReady clients counted), so a
        // lost zone moves seats and re-points peers but no live client
        int everyClient = clientsByZone.values().stream().mapToInt(List::size).sum();
        int floor = (int) Math.ceil(ClientGroups.BALANCE_BOUND * everyClient / ring.size());
        clientsByZone.forEach((zone, clients) ->
                ClientGroups.fill(clients, groupsByZone.getOrDefault(zone, allGroups), headless, groups, floor));
        return groups;
    }

    /**
     * The groups whose clients carry an id no target holds (their RR left, and no RR of their zone
     * took the id over): each keeps the RRs of its peer that are still targets, and gets the least
     * used others (another zone first) in place of the gone, up to {@code k} ({@code uses}: each
     * target's number of groups so far, counted on). Added to {@code groups};
     * their clients stay ({@link ClientGroups#fill}), new clients go to the groups of RRs. At most one per RR,
     * the largest first, so the BGPPeers stay within 2R + 1; the clients of the others move.
     */
    private static Set<String> headless(Map<String, int[]> clients, Map<View, Integer> slots, List<View> ring,
            Map<Integer, View> byIndex, Map<Integer, Integer> uses, int k, Map<String, List<Integer>> serving,
            Map<String, List<Integer>> groups) {
        Set<Integer> held = new HashSet<>(slots.values());
        List<String> orphans = new ArrayList<>();
        clients.forEach((group, count) -> {
            Integer id = slotId(group);
            if (id != null && !held.contains(id) && serving.containsKey(group)) { // else its clients join others
                orphans.add(group);
            }
        });
        orphans.sort(Comparator.comparingInt((String g) -> -clients.get(g)[0]).thenComparingInt(Integer::parseInt));
        Set<String> headless = new HashSet<>();
        for (String group : orphans.subList(0, Math.min(orphans.size(), ring.size()))) {
            List<Integer> before = serving.get(group);
            List<Integer> members = new ArrayList<>();
            Set<String> zones = new HashSet<>();
            for (Integer index : before) {
                View kept = byIndex.get(index);
                if (kept != null && members.size() < k && !members.contains(index)) {
                    members.add(index);
                    zones.add(kept.zone);
                }
            }
            while (members.size() < k) {
                View best = null;
                for (View candidate : ring) {
                    if (members.contains(candidate.targetIndex)) {
                        continue;
                    }
                    if (best == null || better(candidate, best, zones, uses)) {
                        best = candidate;
                    }
                }
                members.add(best.targetIndex);
                zones.add(best.zone);
            }
            members.forEach(i -> uses.merge(i, 1, Integer::sum));
            groups.put(group, List.copyOf(members));
            headless.add(group);
        }
        return headless;
    }

    /**
     * A group's primary, then the RRs its peer selects now ({@code selected}) that are still targets
     * in fewer than k groups, up to k: R going down rewrites the groups that lost an RR, not every
     * group a rebuilt ring would shift. A same-zone one leaves room for another zone while the group
     * has none. Counted in {@code uses}.
     */
    private static List<Integer> kept(View primary, List<Integer> selected, Map<Integer, View> byIndex,
            Map<Integer, Integer> uses, int k, boolean zonesToSpan) {
        List<Integer> members = new ArrayList<>();
        members.add(primary.targetIndex);
        boolean spans = false;
        for (int index : selected) {
            View kept = byIndex.get(index);
            boolean otherZone = kept != null && !kept.zone.equals(primary.zone);
            if (kept != null && !members.contains(index) && uses.get(index) < k
                    && members.size() < (otherZone || spans || !zonesToSpan ? k : k - 1)) {
                members.add(index);
                uses.merge(index, 1, Integer::sum);
                spans |= otherZone;
            }
        }
        return members;
    }

    /**
     * A group's next RR: the first on the ring after its primary ({@code from}) that is not a member,
     * not in {@code notZone} and in fewer than k groups, so load stays even. When every one is in k
     * (the zone the group needs has too few RRs for the other zones' groups), one its peer selects
     * now ({@code selected}), else the first: the one the bound just took from it comes back, so
     * plans converge instead of moving the same excess from group to group.
     */
    private static View next(List<View> ring, int from, List<Integer> members, List<Integer> selected,
            String notZone, Map<Integer, Integer> uses, int k) {
        View fallback = null;
        for (int step = 1; step < ring.size(); step++) {
            View candidate = ring.get((from + step) % ring.size());
            if (members.contains(candidate.targetIndex) || candidate.zone.equals(notZone)) {
                continue;
            }
            if (uses.get(candidate.targetIndex) < k) {
                return candidate;
            }
            if (fallback == null
                    || selected.contains(candidate.targetIndex) && !selected.contains(fallback.targetIndex)) {
                fallback = candidate;
            }
        }
        return fallback;
    }

    /** A zone the group has no RR in yet, then fewer groups, then the ring's order (the first found). */
    private static boolean better(View candidate, View best, Set<String> zones, Map<Integer, Integer> uses) {
        boolean newZone = !zones.contains(candidate.zone);
        if (newZone != !zones.contains(best.zone)) {
            return newZone;
        }
        return uses.getOrDefault(candidate.targetIndex, 0) < uses.getOrDefault(best.targetIndex, 0);
    }

    /**
     * Each target's slot: its own index when clients carry it; else an id its zone's clients carry
     * whose RR is gone (a replacement takes over, lowest id first); else its own index, or the
     * lowest id nobody carries. {@code labelled}: each group label the clients carry, with their zones.
     */
    private static Map<View, Integer> slots(Map<String, Set<String>> labelled, List<View> targets) {
        Map<Integer, Set<String>> carried = new HashMap<>();
        labelled.forEach((group, zones) -> {
            Integer id = slotId(group);
            if (id != null) {
                carried.put(id, zones);
            }
        });
        List<View> ordered = targets.stream()
                .sorted(Comparator.comparing((View v) -> v.zone).thenComparingInt(v -> v.targetIndex)).toList();
        Map<View, Integer> slots = new HashMap<>();
        Set<Integer> taken = new HashSet<>();
        for (View target : ordered) {
            if (carried.containsKey(target.targetIndex) && taken.add(target.targetIndex)) {
                slots.put(target, target.targetIndex);
            }
        }
        Map<String, TreeSet<Integer>> orphans = new HashMap<>();
        carried.forEach((id, zones) -> {
            if (!taken.contains(id)) {
                zones.forEach(zone -> orphans.computeIfAbsent(zone, z -> new TreeSet<>()).add(id));
            }
        });
        for (View target : ordered) {
            TreeSet<Integer> inZone = orphans.get(target.zone);
            while (!slots.containsKey(target) && inZone != null && !inZone.isEmpty()) {
                int adopted = inZone.pollFirst();
                if (taken.add(adopted)) { // an orphan of several zones goes to the first taker
                    slots.put(target, adopted);
                }
            }
        }
        int next = 1;
        for (View target : ordered) {
            if (slots.containsKey(target)) {
                continue;
            }
            int slot = target.targetIndex;
            if (taken.contains(slot) || carried.containsKey(slot)) {
                while (taken.contains(next) || carried.containsKey(next)) {
                    next++;
                }
                slot = next;
            }
            taken.add(slot);
            slots.put(target, slot);
        }
        return slots;
    }

    private static Integer slotId(String group) {
        try {
            int id = Integer.parseInt(group);
            return id >= 1 ? id : null;
        } catch (NumberFormatException e) {
            return null; // e.g. "spine" from the hierarchy topology: not a multi group
        }
    }

    /** Target RRs interleaved by zone (a1, b1, c1, a2, b2, ...), each zone's by slot. */
    private static List<View> ring(List<View> targets, Map<View, Integer> slots) {
        Map<String, List<View>> byZone = new TreeMap<>();
        targets.forEach(t -> byZone.computeIfAbsent(t.zone, z -> new ArrayList<>()).add(t));
        byZone.values().forEach(list -> list.sort(Comparator.comparing(slots::get)));
        List<View> ring = new ArrayList<>();
        for (int round = 0; ring.size() < targets.size(); round++) {
            for (List<View> zoneList : byZone.values()) {
                if (round < zoneList.size()) {
                    ring.add(zoneList.get(round));
                }
            }
        }
        return ring;
    }
}
