package dev.calicorr.routereflector.plan;

import dev.calicorr.routereflector.config.ReflectorCount;
import java.util.ArrayList;
import java.util.Comparator;
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
