package dev.calicorr.routereflector.plan;

import dev.calicorr.routereflector.config.ClusterIdTemplate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The selection pass the topologies share: which nodes are the target RRs, chosen sticky (current
 * RRs stay) and in {@link #KEEP_ORDER}, with the reason of each promotion and demotion for the log.
 */
final class Selection {
    /** Keep order: preferred first, then oldest, then by name. Removal takes from the end. */
    static final Comparator<View> KEEP_ORDER = (a, b) -> {
        if (a.preferred != b.preferred) {
            return a.preferred ? -1 : 1;
        }
        int byAge = Long.compare(a.createdSecond, b.createdSecond);
        if (byAge == 0) {
            byAge = Integer.compare(a.createdNano, b.createdNano);
        }
        return byAge != 0 ? byAge : a.name.compareTo(b.name);
    };

    /** every node, in the snapshot's order */
    final List<View> views;
    /** the nodes carrying our RR label (or index and cluster ID), in the snapshot's order */
    final List<View> reflectors;
    /** the other nodes this plan made targets; with {@link #reflectors}, every node that may end an RR */
    private final List<View> promoted = new ArrayList<>();
    private final Map<String, Integer> eligiblePerZone;
    final Map<String, String> promoteReasons = new HashMap<>();
    final Map<String, String> demoteReasons = new HashMap<>();

    /** @param eligiblePerZone eligible node count of every zone that has any */
    Selection(List<View> views, List<View> reflectors, Map<String, Integer> eligiblePerZone) {
        this.views = views;
        this.reflectors = reflectors;
        this.eligiblePerZone = eligiblePerZone;
    }

    /** Makes a node a target RR of this plan. */
    void choose(View view) {
        view.role = Role.TARGET;
        if (!view.reflector) {
            promoted.add(view);
        }
    }

    /** Every node that is or may become an RR in this plan, with the given role. */
    List<View> withRole(Role role) {
        List<View> found = new ArrayList<>();
        for (List<View> list : List.of(reflectors, promoted)) {
            for (View view : list) {
                if (view.role == role) {
                    found.add(view);
                }
            }
        }
        return found;
    }

    /** Nothing is eligible: every RR stays one. */
    void keepAll() {
        reflectors.forEach(this::choose);
    }

    /**
     * The zone pass of a topology whose RRs are all of one tier: every RR holds a seat, every other
     * node may take one.
     */
    void seatZones(int total, Map<String, Integer> groupsPerZone) {
        seatZones(total, v -> true, v -> !v.reflector, groupsPerZone, false, v -> { });
    }

    /**
     * The zone pass: {@code total} seats split over the zones ({@link ZoneSplit}, with what each
     * holds now); each zone's current RRs keep theirs in keep order, the shortfall comes from the
     * candidates.
     *
     * @param holdsSeat       which eligible RRs hold a seat now and may keep it
     * @param candidate       which other eligible nodes may take a seat
     * @param groupsPerZone   per zone, the groups its clients carry (multi): a zone carrying more than
     *                        it holds seats lost seats its clients still refer to, and gets them back first
     * @param spreadOverRacks {@link #pick}
     * @param chosen          told of each node seated
     */
    void seatZones(int total, Predicate<View> holdsSeat, Predicate<View> candidate, Map<String, Integer> groupsPerZone,
            boolean spreadOverRacks, Consumer<View> chosen) {
        Map<String, Integer> holding = new HashMap<>();
        reflectors.stream().filter(v -> v.eligible() && holdsSeat.test(v)).forEach(v -> holding.merge(v.zone, 1, Integer::sum));
        Map<String, Integer> vacated = new HashMap<>();
        groupsPerZone.forEach((zone, groups) -> {
            int lost = groups - holding.getOrDefault(zone, 0);
            if (lost > 0) {
                vacated.put(zone, lost);
            }
        });
        Map<String, Integer> seats = ZoneSplit.split(total, eligiblePerZone, holding, vacated);
        pick(seats, byKey(reflectors, holdsSeat, v -> v.zone), candidate, v -> v.zone, "zone", spreadOverRacks, chosen);
    }

    /**
     * The indexes of the draining RRs by the cluster they serve with now (0: the template's own ID).
     * A draining RR stays in the peers of the RRs that share its ID until it is demoted: they would
     * not reflect their clients' routes to it (same ID).
     */
    static Map<Integer, List<Integer>> drainingByCluster(List<View> views, ClusterIdTemplate template) {
        Map<Integer, List<Integer>> draining = new HashMap<>();
        for (View view : views) {
            if (view.role == Role.DRAINING) {
                draining.computeIfAbsent(view.currentCluster(template), c -> new ArrayList<>()).add(view.targetIndex);
            }
        }
        return draining;
    }

    /** A group of RRs that share the ID of {@code cluster}: these indexes and those draining with it, sorted. */
    static List<Integer> withDraining(List<Integer> indexes, int cluster, Map<Integer, List<Integer>> draining) {
        List<Integer> all = new ArrayList<>(indexes);
        all.addAll(draining.getOrDefault(cluster, List.of()));
        return all.stream().sorted().toList();
    }

    /** The eligible nodes of {@code from} not yet chosen, matching {@code filter}, grouped by {@code key}. */
    static Map<String, List<View>> byKey(List<View> from, Predicate<View> filter, Function<View, String> key) {
        Map<String, List<View>> grouped = new TreeMap<>();
        for (View view : from) {
            if (view.role == Role.CLIENT && view.eligible() && filter.test(view)) {
                grouped.computeIfAbsent(key.apply(view), k -> new ArrayList<>()).add(view);
            }
        }
        return grouped;
    }

    /**
     * Sticky choice per zone (or rack): current RRs stay in keep order up to the wanted count,
     * the rest are obsolete; then each shortfall is taken from the candidates in keep order
     * (hierarchy spines: spread over racks, {@link #firstOnNewRacks}).
     */
    void pick(Map<String, Integer> wanted, Map<String, List<View>> current, Predicate<View> candidate,
            Function<View, String> key, String scope, boolean spreadOverRacks, Consumer<View> chosen) {
        Map<String, Integer> shortfall = new TreeMap<>();
        Set<String> racksTaken = new HashSet<>();
        for (Map.Entry<String, Integer> entry : wanted.entrySet()) {
            int want = entry.getValue();
            List<View> kept = new ArrayList<>(current.getOrDefault(entry.getKey(), List.of()));
            kept.sort(KEEP_ORDER);
            int have = kept.size();
            for (int i = 0; i < Math.min(want, have); i++) {
                choose(kept.get(i));
                racksTaken.add(kept.get(i).rack);
                chosen.accept(kept.get(i));
            }
            for (int i = want; i < have; i++) {
                demoteReasons.put(kept.get(i).name(), "above-target(" + scope + " " + have + ">" + want + ")");
            }
            if (have < want) {
                shortfall.put(entry.getKey(), want - have);
            }
        }
        if (shortfall.isEmpty()) {
            return; // the common case: no pass over the candidates at all
        }
        Map<String, List<View>> candidates = spreadOverRacks
                ? byKey(views, v -> candidate.test(v) && shortfall.containsKey(key.apply(v)), key)
                : first(candidate, key, shortfall);
        shortfall.forEach((group, missing) -> {
            String reason = "below-target(" + (wanted.get(group) - missing) + "<" + wanted.get(group) + ")";
            List<View> pool = candidates.getOrDefault(group, List.of());
            for (View view : spreadOverRacks ? firstOnNewRacks(pool, missing, racksTaken) : pool) {
                choose(view);
                racksTaken.add(view.rack);
                chosen.accept(view);
                promoteReasons.put(view.name(), view.preferred ? reason + ",preferred" : reason);
            }
        });
    }

    /**
     * Hierarchy spines: the first {@code n} in keep order, but first the best of each rack that
     * has no spine yet, so losing one rack (its switch, its power) never takes every spine.
     */
    private static List<View> firstOnNewRacks(List<View> pool, int n, Set<String> taken) {
        Map<String, View> bestPerRack = new HashMap<>();
        for (View view : pool) {
            if (!taken.contains(view.rack)) {
                bestPerRack.merge(view.rack, view, (a, b) -> KEEP_ORDER.compare(a, b) <= 0 ? a : b);
            }
        }
        List<View> chosen = new ArrayList<>(first(new ArrayList<>(bestPerRack.values()), n));
        if (chosen.size() < n) {
            Set<View> already = new HashSet<>(chosen);
            chosen.addAll(first(pool.stream().filter(v -> !already.contains(v)).toList(), n - chosen.size()));
        }
        return chosen;
    }

    /**
     * Per key, the first {@code counts.get(key)} eligible nodes not yet chosen that match
     * {@code candidate}, in keep order: one pass, no list of a zone's candidates, no sort of them.
     */
    private Map<String, List<View>> first(Predicate<View> candidate, Function<View, String> key,
            Map<String, Integer> counts) {
        Map<String, FirstInKeepOrder> best = new HashMap<>();
        counts.forEach((k, n) -> best.put(k, new FirstInKeepOrder(n)));
        for (View view : views) {
            if (view.role == Role.CLIENT && view.eligible()) {
                FirstInKeepOrder first = best.get(key.apply(view));
                if (first != null && candidate.test(view)) {
                    first.offer(view);
                }
            }
        }
        Map<String, List<View>> chosen = new HashMap<>();
        best.forEach((k, first) -> chosen.put(k, first.inOrder()));
        return chosen;
    }

    /** The first {@code n} of {@code pool} in keep order, without sorting the whole pool. */
    static List<View> first(List<View> pool, int n) {
        FirstInKeepOrder first = new FirstInKeepOrder(n);
        pool.forEach(first::offer);
        return first.inOrder();
    }

    /** Keeps the first {@code n} views offered, in keep order. */
    private static final class FirstInKeepOrder {
        private final int n;
        /** the last kept in keep order at the head, to be dropped by a better one */
        private final PriorityQueue<View> kept = new PriorityQueue<>(KEEP_ORDER.reversed());

        FirstInKeepOrder(int n) {
            this.n = n;
        }

        void offer(View view) {
            if (kept.size() < n) {
                kept.add(view);
            } else if (n > 0 && KEEP_ORDER.compare(view, kept.peek()) < 0) {
                kept.poll();
                kept.add(view);
            }
        }

        List<View> inOrder() {
            List<View> inOrder = new ArrayList<>(kept);
            inOrder.sort(KEEP_ORDER);
            return inOrder;
        }
    }
}
