package dev.calicorr.routereflector.plan;

import dev.calicorr.routereflector.config.ReflectorCount;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * How many RRs each zone gets: proportional to its eligible nodes (D'Hondt highest averages, so
 * the split is deterministic and monotone), at least one per zone while the total allows, never
 * more than a zone has eligible nodes; ties go to the zone with more eligible nodes, then by name.
 */
final class ZoneSplit {
    private ZoneSplit() {
    }

    /** The calculation's count (linear: ceil(eligible × ratio)) clamped to [min, max] and to the eligible count. */
    static int total(int eligible, ReflectorCount calculation, int min, int max) {
        int wanted = calculation.wanted(eligible);
        return Math.min(eligible, Math.max(min, Math.min(max, wanted)));
    }

    /**
     * The split with hysteresis of one seat: what the zones hold now stands while every zone is
     * within one seat of its share, so a node that comes or goes near a zone-size boundary moves no
     * seat (a moved seat costs a promotion, a demotion and their clients' regrouping). A zone further
     * off is brought to within one seat of its share, every zone keeps a seat while the total allows
     * one each, and the total is met by adding to the zones furthest below their share and taking from those
     * furthest above it.
     *
     * A seat to add goes first to a zone that lost one (its clients still carry the group of an RR
     * it no longer holds), within the same bounds: there a successor takes over the group and its
     * clients stay, where a seat moved elsewhere would regroup a zone's share of clients twice.
     *
     * @param eligiblePerZone eligible node count of every zone that has any
     * @param holding         the RRs each zone holds now and may keep (eligible, of the counted tier)
     * @param vacated         per zone, the seats it lost that its clients still refer to
     */
    static Map<String, Integer> split(int total, Map<String, Integer> eligiblePerZone, Map<String, Integer> holding,
            Map<String, Integer> vacated) {
        Map<String, Integer> share = split(total, eligiblePerZone);
        Map<String, Integer> seats = new TreeMap<>();
        int least = total >= share.size() ? 1 : 0;
        int sum = 0;
        for (Map.Entry<String, Integer> zone : share.entrySet()) {
            int have = holding.getOrDefault(zone.getKey(), 0);
            int kept = Math.max(low(zone.getValue(), least),
                    Math.min(high(zone.getValue(), eligiblePerZone.get(zone.getKey())), have));
            seats.put(zone.getKey(), kept);
            sum += kept;
        }
        Map<String, Integer> refill = new HashMap<>(vacated);
        while (sum != total) {
            int direction = sum < total ? 1 : -1;
            String best = null;
            boolean bestRefills = false;
            int bestOff = 0;
            for (Map.Entry<String, Integer> zone : seats.entrySet()) {
                int want = share.get(zone.getKey());
                int next = zone.getValue() + direction;
                if (next < low(want, least) || next > high(want, eligiblePerZone.get(zone.getKey()))) {
                    continue;
                }
                boolean refills = direction > 0 && refill.getOrDefault(zone.getKey(), 0) > 0;
                int off = (zone.getValue() - want) * direction; // most negative: furthest on the side we move from
                if (best == null || refills && !bestRefills || refills == bestRefills && off < bestOff) {
                    best = zone.getKey();
                    bestRefills = refills;
                    bestOff = off;
                }
            }
            if (best == null) {
                return share; // cannot happen while the share itself is within the bounds; never a wrong total
            }
            seats.merge(best, direction, Integer::sum);
            refill.computeIfPresent(best, (zone, left) -> left - 1);
            sum += direction;
        }
        return seats;
    }

    private static int low(int share, int least) {
        return Math.max(share - 1, least);
    }

    private static int high(int share, int eligible) {
        return Math.min(share + 1, eligible);
    }

    /** @param eligiblePerZone eligible node count of every zone that has any */
    static Map<String, Integer> split(int total, Map<String, Integer> eligiblePerZone) {
        Map<String, Integer> seats = new TreeMap<>();
        List<String> zones = new ArrayList<>(eligiblePerZone.keySet());
        zones.sort(Comparator.comparing((String z) -> -eligiblePerZone.get(z)).thenComparing(z -> z));
        eligiblePerZone.keySet().forEach(zone -> seats.put(zone, 0));
        int left = total;
        for (String zone : zones) {
            if (left == 0) {
                break;
            }
            seats.put(zone, 1);
            left--;
        }
        while (left > 0) {
            String best = null;
            double bestScore = -1;
            for (String zone : zones) {
                int have = seats.get(zone);
                int eligible = eligiblePerZone.get(zone);
                if (have >= eligible) {
                    continue;
                }
                double score = (double) eligible / (have + 1);
                if (score > bestScore + 1e-12) {
                    best = zone;
                    bestScore = score;
                }
            }
            if (best == null) {
                break;
            }
            seats.merge(best, 1, Integer::sum);
            left--;
        }
        return seats;
    }
}
