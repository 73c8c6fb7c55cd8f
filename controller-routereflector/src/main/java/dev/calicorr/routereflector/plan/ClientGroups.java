package dev.calicorr.routereflector.plan;

import dev.calicorr.routereflector.plan.Planner.Role;
import dev.calicorr.routereflector.plan.Planner.View;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Client assignment of the {@code multi} topology, structured so the number of BGPPeers is O(R):
 * every target RR r is the primary of one group; the group's RRs are r, then the first RR after r
 * on a zone-interleaved ring that lies in another zone, then the next ones on the ring. A client
 * joins a group whose primary is in its own zone (any group when its zone has no RR), the groups
 * of a zone filled evenly; a client keeps its group while it stays valid and within the even
 * share, so a new node costs one label write and a changed RR set costs a few peer writes.
 */
final class ClientGroups {
    private ClientGroups() {
    }

    /**
     * Sets {@code targetGroup} on every client and returns each group's RR indexes (primary first),
     * keyed by the group id (the primary's index).
     */
    static Map<String, List<Integer>> assign(List<View> views, List<View> targets, int perNode) {
        Map<String, List<Integer>> groups = new LinkedHashMap<>();
        if (targets.isEmpty()) {
            return groups;
        }
        List<View> ring = ring(targets);
        int k = Math.min(perNode, ring.size());
        for (int i = 0; i < ring.size(); i++) {
            View primary = ring.get(i);
            List<Integer> members = new ArrayList<>();
            members.add(primary.targetIndex);
            // second: the next RR on the ring in another zone, if there is one
            for (int step = 1; step < ring.size() && members.size() < Math.min(2, k); step++) {
                View next = ring.get((i + step) % ring.size());
                if (!next.zone.equals(primary.zone)) {
                    members.add(next.targetIndex);
                }
            }
            for (int step = 1; step < ring.size() && members.size() < k; step++) {
                int index = ring.get((i + step) % ring.size()).targetIndex;
                if (!members.contains(index)) {
                    members.add(index);
                }
            }
            groups.put(String.valueOf(primary.targetIndex), List.copyOf(members));
        }

        Map<String, List<String>> groupsByZone = new HashMap<>();
        targets.stream().sorted(Comparator.comparingInt(v -> v.targetIndex))
                .forEach(t -> groupsByZone.computeIfAbsent(t.zone, z -> new ArrayList<>()).add(String.valueOf(t.targetIndex)));
        List<String> allGroups = new ArrayList<>(groups.keySet());
        allGroups.sort(Comparator.comparingInt(Integer::parseInt));

        Map<String, List<View>> clientsByZone = new TreeMap<>();
        for (View view : views) {
            if (view.role == Role.CLIENT || view.role == Role.DEMOTE) {
                clientsByZone.computeIfAbsent(view.zone, z -> new ArrayList<>()).add(view);
            }
        }
        clientsByZone.forEach((zone, clients) ->
                fill(clients, groupsByZone.getOrDefault(zone, allGroups)));
        return groups;
    }

    /** Even split of one zone's clients over its groups, keeping current members within the share. */
    static void fill(List<View> clients, List<String> zoneGroups) {
        int cap = (clients.size() + zoneGroups.size() - 1) / zoneGroups.size();
        Map<String, Integer> count = new LinkedHashMap<>();
        zoneGroups.forEach(g -> count.put(g, 0));
        List<View> unassigned = new ArrayList<>();
        for (View client : clients) { // sorted by name
            Integer have = client.group == null ? null : count.get(client.group);
            if (have != null && have < cap) {
                client.targetGroup = client.group;
                count.put(client.group, have + 1);
            } else {
                unassigned.add(client);
            }
        }
        for (View client : unassigned) {
            String smallest = null;
            for (Map.Entry<String, Integer> entry : count.entrySet()) {
                if (smallest == null || entry.getValue() < count.get(smallest)) {
                    smallest = entry.getKey();
                }
            }
            client.targetGroup = smallest;
            count.merge(smallest, 1, Integer::sum);
        }
    }

    /** Target RRs interleaved by zone (a1, b1, c1, a2, b2, ...), each zone's by index. */
    private static List<View> ring(List<View> targets) {
        Map<String, List<View>> byZone = new TreeMap<>();
        targets.forEach(t -> byZone.computeIfAbsent(t.zone, z -> new ArrayList<>()).add(t));
        byZone.values().forEach(list -> list.sort(Comparator.comparingInt(v -> v.targetIndex)));
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
