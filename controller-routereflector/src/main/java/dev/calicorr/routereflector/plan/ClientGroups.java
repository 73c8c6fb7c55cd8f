package dev.calicorr.routereflector.plan;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The split of a zone's clients over its groups, kept where they are while the split stays even
 * enough: the {@code multi} groups of a zone and the {@code quorum} quorums.
 */
final class ClientGroups {
    private ClientGroups() {
    }

    /**
     * How far above the even share a group may hold its clients before some move: a new RR's group
     * fills with new clients instead of taking a share of everyone's (each move is a write and a
     * client's sessions changed), and a group never serves more than this times the even share.
     */
    static final double BALANCE_BOUND = 1.25;

    /**
     * Split of one zone's clients over its groups: current members stay up to {@link #BALANCE_BOUND}
     * times the even share (the first by name when a group has more), the others go to the smallest
     * groups. NotReady clients and those of a {@code keeping} group stay where they are. Clients come in any order; the result does not
     * depend on it: only the clients that move are sorted, by their names' hash codes. A client
     * that leaves a group goes, among the smallest groups, to one that shares an RR with the group
     * it leaves ({@code reflectors}: each group's RR indexes; empty where groups never share one),
     * so it keeps a session through the move.
     *
     * @param floor a group may always hold this many (0: the zone's own share alone decides)
     */
    static void fill(List<View> clients, List<String> zoneGroups, Set<String> keeping,
            Map<String, List<Integer>> reflectors, int floor) {
        int cap = Math.max(floor, (int) Math.ceil(BALANCE_BOUND * clients.size() / zoneGroups.size()));
        Map<String, int[]> count = new HashMap<>();
        zoneGroups.forEach(g -> count.put(g, new int[1]));
        List<View> unassigned = new ArrayList<>();
        for (View client : clients) { // most clients stay: one lookup each, no list
            int[] members = client.group == null ? null : count.get(client.group);
            if (!client.alive() || members == null && client.group != null && keeping.contains(client.group)) {
                // NotReady: no sessions to keep, no write until it returns; a group whose RR left: re-pointed
                client.targetGroup = client.group;
                continue;
            }
            if (members != null) {
                client.targetGroup = client.group;
                members[0]++;
            } else {
                unassigned.add(client);
            }
        }
        for (String group : zoneGroups) {
            int[] members = count.get(group);
            if (members[0] > cap) { // rare: the first cap by name stay, the others move
                List<View> over = new ArrayList<>(clients.stream().filter(c -> group.equals(c.targetGroup)).toList());
                over.sort(Comparator.comparing(View::name));
                unassigned.addAll(over.subList(cap, over.size()));
                members[0] = cap;
            }
        }
        // any fixed order spreads them; the hash order is cheap, and the views are written in their own order
        int[] hashes = unassigned.stream().mapToInt(View::nameHash).toArray();
        int[] order = ByName.byNameHash(hashes, i -> unassigned.get(i).name);
        int[] sizes = zoneGroups.stream().mapToInt(g -> count.get(g)[0]).toArray();
        int[] groupOf = new int[unassigned.size()];
        for (int index : order) {
            int smallest = 0;
            for (int g = 1; g < sizes.length; g++) {
                if (sizes[g] < sizes[smallest]) {
                    smallest = g;
                }
            }
            String from = unassigned.get(index).group;
            List<Integer> leaving = from == null ? null : reflectors.get(from);
            if (leaving != null && !shareAnRr(leaving, reflectors.get(zoneGroups.get(smallest)))) {
                for (int g = smallest + 1; g < sizes.length; g++) {
                    if (sizes[g] == sizes[smallest] && shareAnRr(leaving, reflectors.get(zoneGroups.get(g)))) {
                        smallest = g;
                        break;
                    }
                }
            }
            groupOf[index] = smallest;
            sizes[smallest]++;
        }
        for (int i = 0; i < groupOf.length; i++) {
            unassigned.get(i).targetGroup = zoneGroups.get(groupOf[i]);
        }
    }

    private static boolean shareAnRr(List<Integer> a, List<Integer> b) {
        if (b == null) {
            return false;
        }
        for (Integer index : a) {
            if (b.contains(index)) {
                return true;
            }
        }
        return false;
    }
}
