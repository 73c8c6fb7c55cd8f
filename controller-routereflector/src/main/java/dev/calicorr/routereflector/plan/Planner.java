package dev.calicorr.routereflector.plan;

import dev.calicorr.routereflector.config.ClusterIdTemplate;
import dev.calicorr.routereflector.config.LabelMatch;
import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.config.TopologyType;
import dev.calicorr.routereflector.model.ClusterSnapshot;
import dev.calicorr.routereflector.model.Names;
import dev.calicorr.routereflector.model.NodeFacts;
import dev.calicorr.routereflector.model.PeerFacts;
import dev.calicorr.routereflector.model.SessionFacts;
import dev.calicorr.routereflector.selector.Selector;
import dev.calicorr.routereflector.selector.SelectorParseException;
import dev.calicorr.routereflector.selector.Selectors;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The pure planner (design §4): observed nodes and owned BGPPeers plus the configuration in, the
 * ordered writes of the target topology out. Deterministic (the same plan whatever the order of
 * the snapshot, no clock but {@code now}, no randomness) and O(N log N), with only the nodes it
 * chooses among or writes to sorted.
 */
public final class Planner {
    private static final Set<String> DISQUALIFYING_EFFECTS = Set.of("NoSchedule", "NoExecute");
    static final String MESH_PEER = Names.PEER_NAME_PREFIX + "mesh";
    static final String CLIENTS_PEER = Names.PEER_NAME_PREFIX + "clients";
    static final String GROUP_PEER_PREFIX = Names.PEER_NAME_PREFIX + "group-";
    /** hierarchy: every RR peers with the spines (spines mesh among themselves through it too) */
    static final String SPINE_PEER = Names.PEER_NAME_PREFIX + "spine";
    /** How soon to look again when only BGP sessions hold a hand-over back (status updates also wake us). */
    static final Duration SESSION_RECHECK = Duration.ofSeconds(10);

    private Planner() {
    }

    public static Plan plan(ClusterSnapshot snapshot, RouteReflectorConfig config, Instant now) {
        return new Planning(snapshot, config, now).run();
    }

    /** The role a node ends this plan in. */
    enum Role {
        /** a route reflector of the target topology */
        TARGET,
        /** an obsolete RR that keeps serving until its replacements have served for removalDelay */
        DRAINING,
        /** an obsolete RR demoted by this plan; a client afterwards */
        DEMOTE,
        CLIENT,
        /** has a cluster ID we did not give (no RR label): someone else's RR, left alone */
        FOREIGN
    }

    /** What the planner reads of one node. */
    static final class View {
        final NodeFacts facts;
        final String zone;
        final String ineligibleBecause;
        final boolean preferred;
        final boolean reflector;
        final int index;
        final String clusterId;
        final Instant servingSince;
        final String group;
        /** hierarchy only: the rack label's value ("" when unlabelled) */
        final String rack;
        Role role;
        int targetIndex;
        String targetGroup;
        /** hierarchy: whether this RR is a spine (shared cluster ID) rather than a rack RR */
        boolean targetSpine;
        /** quorum: the quorum; hierarchy: the rack's number (0 for spines); the index in the cluster ID */
        int targetCluster;

        View(NodeFacts facts, RouteReflectorConfig config, ClusterIdTemplate template) {
            this.facts = facts;
            Map<String, String> labels = facts.labels();
            this.zone = zoneOf(labels, config);
            this.ineligibleBecause = ineligibility(facts, config);
            this.preferred = LabelMatch.anyMatches(config.preferredLabels(), labels);
            this.clusterId = facts.annotations().get(Names.CLUSTER_ID_ANNOTATION);
            // Our index label and a cluster ID make it ours even when someone removed the RR label:
            // the label is restored instead of the node being left alone as a foreign RR.
            this.reflector = labels.containsKey(config.routeReflectorLabelKey())
                    || clusterId != null && labels.containsKey(Names.RR_INDEX_LABEL);
            boolean mayServe = reflector || clusterId != null; // most nodes are neither: two lookups saved
            this.index = mayServe ? indexOf(labels.get(Names.RR_INDEX_LABEL), clusterId, template) : 0;
            this.servingSince = mayServe ? facts.servingSince() : null;
            this.group = labels.get(Names.GROUP_LABEL);
            this.rack = config.topologyType() == TopologyType.HIERARCHY
                    ? labels.getOrDefault(config.rackLabel(), "") : "";
        }

        String name() {
            return facts.name();
        }

        boolean eligible() {
            return ineligibleBecause == null;
        }

        boolean alive() {
            return facts.ready();
        }

        boolean isRr() {
            return role == Role.TARGET || role == Role.DRAINING;
        }

        /** The index of the cluster ID this node serves with now, or 0. */
        int currentCluster(ClusterIdTemplate template) {
            return clusterId == null ? 0 : template.indexOf(clusterId).orElse(0);
        }
    }

    /** The zone a node counts in: its zone label, the legacy one when the default is missing, "" without. */
    public static String zoneOf(Map<String, String> labels, RouteReflectorConfig config) {
        if (config.zoneLabel().isEmpty()) {
            return "";
        }
        String zone = labels.get(config.zoneLabel());
        if (zone == null && config.zoneLabel().equals(RouteReflectorConfig.DEFAULT_ZONE_LABEL)) {
            zone = labels.get(RouteReflectorConfig.LEGACY_ZONE_LABEL);
        }
        return zone == null ? "" : zone;
    }

    /** Null when the node may be an RR, else why not (for log lines). */
    public static String ineligibility(NodeFacts node, RouteReflectorConfig config) {
        if (!node.ready()) {
            return "NotReady";
        }
        if (node.unschedulable()) {
            return "cordoned";
        }
        for (NodeFacts.Taint taint : node.taints()) {
            if (DISQUALIFYING_EFFECTS.contains(taint.effect()) && !config.tolerations().contains(taint.key())) {
                return "taint(" + taint.key() + ":" + taint.effect() + ")";
            }
        }
        if (!config.nodeSelector().matches(node.labels())) {
            return "nodeSelector";
        }
        if (LabelMatch.anyMatches(config.incompatibleLabels(), node.labels())) {
            return "incompatibleLabels";
        }
        return null;
    }

    private static int indexOf(String label, String clusterId, ClusterIdTemplate template) {
        if (label != null) {
            try {
                int value = Integer.parseInt(label);
                if (value >= 1) {
                    return value;
                }
            } catch (NumberFormatException e) {
                // fall through to the cluster ID
            }
        }
        return template.indexOf(clusterId).orElse(0);
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

    private static final Comparator<Step> BY_NODE = Comparator.comparing(step -> ((Step.PatchNode) step).node());

    /** Keep order: preferred first, then oldest, then by name. Removal takes from the end. */
    static final Comparator<View> KEEP_ORDER = Comparator.comparing((View v) -> !v.preferred)
            .thenComparing(v -> v.facts.created())
            .thenComparing(View::name);

    private static final class Planning {
        private final RouteReflectorConfig config;
        private final Instant now;
        private final ClusterIdTemplate template;
        private final TopologyType topology;
        private final List<View> views = new ArrayList<>();
        private final Map<String, PeerFacts> observedPeers = new TreeMap<>();
        private final Optional<Map<String, SessionFacts>> sessions;
        private final List<String> warnings = new ArrayList<>();
        private final List<Decision> decisions = new ArrayList<>();
        private final Map<String, String> promoteReasons = new HashMap<>();
        private final Map<String, String> demoteReasons = new HashMap<>();
        private Optional<Duration> recheckAfter = Optional.empty();
        private int eligible;
        private final Map<String, Integer> eligiblePerZone = new HashMap<>();
        /** hierarchy: serving rack RRs their rack keeps; never taken as spines */
        private Set<View> rackKeepers = Set.of();

        Planning(ClusterSnapshot snapshot, RouteReflectorConfig config, Instant now) {
            this.config = config;
            this.now = now;
            this.template = config.clusterId();
            this.topology = config.topologyType();
            // in the snapshot's order: sorting 100k names would cost more than the rest of a replan;
            // every choice below orders what it chooses from, and the output is sorted at the end
            snapshot.nodes().forEach(node -> views.add(new View(node, config, template)));
            snapshot.ownedPeers().forEach(peer -> observedPeers.put(peer.name(), peer));
            this.sessions = snapshot.sessions();
        }

        Plan run() {
            chooseTargets();
            resolveObsolete();
            assignIndexes();
            List<View> targets = views.stream().filter(v -> v.role == Role.TARGET).toList();
            // Targets are eligible, hence alive, except when nothing is eligible and every RR is kept:
            // then clients go to the live ones only.
            List<View> live = targets.stream().filter(View::alive).toList();
            List<View> serving = live.isEmpty() ? targets : live;
            Map<String, List<Integer>> groups = switch (topology) {
                case SINGLE -> Map.of();
                case MULTI -> ClientGroups.assign(views, serving, config.routeReflectorsPerNode());
                case QUORUM -> Quorums.assign(views, serving, template, warnings);
                case HIERARCHY -> Racks.assign(views, serving, template, warnings);
            };
            targets = views.stream().filter(v -> v.role == Role.TARGET).toList(); // a rack without an ID drops out
            List<PeerFacts> peers = desiredPeers(groups);
            List<Step> steps = steps(peers);
            decisions.sort(Comparator.comparing(Decision::node));
            warnings.sort(Comparator.naturalOrder());
            return new Plan(steps, decisions, summary(targets, groups, peers), warnings, peers, recheckAfter);
        }

        private void chooseTargets() {
            int unzoned = 0;
            for (View view : views) {
                boolean foreign = !view.reflector && view.clusterId != null;
                view.role = foreign ? Role.FOREIGN : Role.CLIENT;
                if (foreign) {
                    warnings.add("node " + view.name() + " has a route reflector cluster ID but not our label "
                            + config.routeReflectorLabelKey() + ": left alone");
                    continue;
                }
                if (view.eligible()) {
                    eligible++;
                    eligiblePerZone.merge(view.zone, 1, Integer::sum);
                    if (view.zone.isEmpty() && !config.zoneLabel().isEmpty()) {
                        unzoned++;
                    }
                }
            }
            if (unzoned > 0) {
                warnings.add(unzoned + " eligible node(s) have no " + config.zoneLabel()
                        + " label; they form the zone \"\"");
            }
            boolean hierarchy = topology == TopologyType.HIERARCHY;
            if (eligible == 0) {
                long kept = views.stream().filter(v -> v.reflector).peek(v -> {
                    v.role = Role.TARGET;
                    v.targetSpine = hierarchy && !isRackNow(v); // every RR keeps its tier
                }).count();
                warnings.add("no eligible node (Ready, schedulable, untainted, matching nodeSelector): keeping the "
                        + kept + " current route reflector(s) and changing nothing until nodes are eligible");
                return;
            }
            // in hierarchy the count is the spines'; a spine is an RR with the shared cluster ID
            Predicate<View> countedTier = v -> !hierarchy || isSpineNow(v);
            int computed = ZoneSplit.total(eligible, config.calculation(), config.min(), config.max());
            int unit = 1;
            if (topology == TopologyType.QUORUM) {
                computed = quorumTotal(computed);
                unit = RouteReflectorConfig.QUORUM_SIZE;
            }
            int serving = (int) views.stream()
                    .filter(v -> v.reflector && v.eligible() && v.role != Role.FOREIGN && countedTier.test(v)).count();
            // Hysteresis of one RR (one quorum): a cluster whose size sits on a ratio boundary would
            // otherwise add and drop an RR (and regroup ~N/R clients) with every node that comes and goes.
            // Hierarchy spines group no clients by count, so they go without.
            int total = serving == computed + unit && serving <= config.max() && !hierarchy ? serving : computed;
            if (total != computed) {
                warnings.add("keeping " + serving + " route reflector(s), " + unit + " above the " + computed
                        + " the " + config.calculation().configName() + " calculation asks for, so a cluster on the "
                        + "boundary does not flap");
            }
            if (config.min() > eligible) {
                warnings.add("min=" + config.min() + " but only " + eligible + " eligible node(s): using " + total);
            }
            if (hierarchy) {
                rackKeepers = rackKeepers();
            }
            Map<String, Integer> seats = ZoneSplit.split(total, eligiblePerZone);
            // hierarchy: current spines keep their seats; the RRs a rack keeps stay there; other RRs
            // (e.g. of another topology) are candidates like clients, so new spines spread over racks
            Predicate<View> current = v -> v.reflector && (!hierarchy || isSpineNow(v));
            Predicate<View> candidate = v -> !v.reflector || hierarchy && !isSpineNow(v) && !rackKeepers.contains(v);
            pick(seats, byKey(current, v -> v.zone), candidate, v -> v.zone, "zone", hierarchy,
                    v -> v.targetSpine = hierarchy);
            if (hierarchy) {
                // a zone whose eligible nodes are all rack RRs overflows its spine seats to the others
                int unfilled = total - (int) views.stream().filter(v -> v.role == Role.TARGET).count();
                if (unfilled > 0) {
                    pick(Map.of("", unfilled), byKey(current, v -> ""), candidate, v -> "", "cluster", true,
                            v -> v.targetSpine = true);
                }
                // every eligible node is a rack RR: one becomes the spine, or the racks would never meet
                if (views.stream().noneMatch(v -> v.role == Role.TARGET)) {
                    first(views.stream().filter(v -> v.role == Role.CLIENT && v.eligible() && isRackNow(v)).toList(), 1)
                            .forEach(v -> {
                                v.role = Role.TARGET;
                                v.targetSpine = true;
                                promoteReasons.put(v.name(), "no-spine");
                            });
                }
                chooseRackReflectors();
            }
        }

        /**
         * Hierarchy: the RRs serving with a rack ID that their rack keeps (the first reflectorsPerRack
         * in keep order); the others, e.g. the RRs of another topology, may become spines.
         */
        private Set<View> rackKeepers() {
            Map<String, List<View>> byRack = byKey(this::isRackNow, v -> v.rack);
            Set<View> keepers = new HashSet<>();
            byRack.values().forEach(rrs -> {
                rrs.sort(KEEP_ORDER);
                keepers.addAll(rrs.subList(0, Math.min(config.reflectorsPerRack(), rrs.size())));
            });
            return keepers;
        }

        /** The plain count rounded to whole quorums of three, within max and the eligible nodes. */
        private int quorumTotal(int computed) {
            int size = RouteReflectorConfig.QUORUM_SIZE;
            if (eligible < size) {
                warnings.add("quorum: only " + eligible + " eligible node(s), one incomplete quorum");
                return computed;
            }
            int up = Math.max(size, (computed + size - 1) / size * size);
            return up <= config.max() && up <= eligible ? up : computed / size * size;
        }

        private boolean isSpineNow(View view) {
            return view.reflector && template.sharedId().equals(view.clusterId);
        }

        private boolean isRackNow(View view) {
            return view.reflector && view.currentCluster(template) > 0;
        }

        /** Hierarchy: reflectorsPerRack RRs per rack from its eligible nodes the spines left. */
        private void chooseRackReflectors() {
            Map<String, Integer> perRack = new TreeMap<>();
            int unracked = 0;
            for (View view : views) {
                if (view.role == Role.CLIENT && view.eligible()) {
                    perRack.merge(view.rack, 1, Integer::sum);
                    unracked += view.rack.isEmpty() ? 1 : 0;
                }
            }
            if (unracked > 0) {
                warnings.add(unracked + " eligible node(s) have no " + config.rackLabel()
                        + " label; they form the rack \"\"");
            }
            perRack.replaceAll((rack, count) -> Math.min(count, config.reflectorsPerRack()));
            // a spine that is no longer needed drains instead of turning into a rack RR (no flapping between tiers)
            pick(perRack, byKey(v -> v.reflector && !isSpineNow(v), v -> v.rack), v -> !v.reflector, v -> v.rack,
                    "rack", false,
                    v -> v.targetSpine = false);
        }

        /** Eligible nodes not yet chosen, matching {@code filter}, grouped by {@code key}. */
        private Map<String, List<View>> byKey(Predicate<View> filter, Function<View, String> key) {
            Map<String, List<View>> grouped = new TreeMap<>();
            for (View view : views) {
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
        private void pick(Map<String, Integer> wanted, Map<String, List<View>> current, Predicate<View> candidate,
                Function<View, String> key, String scope, boolean spreadOverRacks, Consumer<View> chosen) {
            Map<String, Integer> shortfall = new TreeMap<>();
            Set<String> racksTaken = new HashSet<>();
            for (Map.Entry<String, Integer> entry : wanted.entrySet()) {
                int want = entry.getValue();
                List<View> kept = new ArrayList<>(current.getOrDefault(entry.getKey(), List.of()));
                kept.sort(KEEP_ORDER);
                int have = kept.size();
                for (int i = 0; i < Math.min(want, have); i++) {
                    kept.get(i).role = Role.TARGET;
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
            Map<String, List<View>> candidates = byKey(v -> candidate.test(v) && shortfall.containsKey(key.apply(v)), key);
            shortfall.forEach((group, missing) -> {
                String reason = "below-target(" + (wanted.get(group) - missing) + "<" + wanted.get(group) + ")";
                List<View> pool = candidates.getOrDefault(group, List.of());
                for (View view : spreadOverRacks ? firstOnNewRacks(pool, missing, racksTaken) : first(pool, missing)) {
                    view.role = Role.TARGET;
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

        /** The first {@code n} of {@code pool} in keep order, without sorting the whole zone. */
        private static List<View> first(List<View> pool, int n) {
            PriorityQueue<View> best = new PriorityQueue<>(KEEP_ORDER.reversed());
            for (View view : pool) {
                best.add(view);
                if (best.size() > n) {
                    best.poll(); // drops the last in keep order
                }
            }
            List<View> chosen = new ArrayList<>(best);
            chosen.sort(KEEP_ORDER);
            return chosen;
        }

        /**
         * Obsolete RRs: dead ones and ones that never got a cluster ID (nobody depends on them) go
         * now; live ones wait until every target has served for removalDelay and, where calico-node
         * reports sessions, has taken over its clients (its sessions Established: SessionFacts.verified).
         */
        private void resolveObsolete() {
            List<View> obsolete = views.stream().filter(v -> v.reflector && v.role == Role.CLIENT).toList();
            if (obsolete.isEmpty()) {
                return;
            }
            Duration longestWait = Duration.ZERO;
            List<String> unverified = new ArrayList<>();
            for (View target : views) {
                if (target.role != Role.TARGET) {
                    continue;
                }
                boolean serving = target.clusterId != null && target.servingSince != null
                        && target.reflector;
                Duration wait = serving ? Duration.between(now, target.servingSince.plus(config.removalDelay()))
                        : config.removalDelay();
                if (wait.compareTo(longestWait) > 0) {
                    longestWait = wait;
                }
                SessionFacts facts = sessions.map(known -> known.get(target.name())).orElse(null);
                if (sessions.isPresent() && (facts == null || !facts.verified())) {
                    unverified.add(target.name() + (facts == null ? " (no BGP status yet)" : " (sessions not all Established)"));
                }
            }
            boolean timeServed = longestWait.isZero() || longestWait.isNegative();
            for (View view : obsolete) {
                String why = view.eligible() ? demoteReasons.getOrDefault(view.name(), "not-needed")
                        : "ineligible(" + view.ineligibleBecause + ")";
                if (!view.alive() || view.clusterId == null || timeServed && unverified.isEmpty()) {
                    view.role = Role.DEMOTE;
                    demoteReasons.put(view.name(), why);
                } else {
                    view.role = Role.DRAINING;
                    warnings.add("zone=" + view.zone + " " + view.name() + " is obsolete (" + why
                            + "): it stays a route reflector until its replacements have served for "
                            + config.removalDelay().toSeconds() + "s" + (sessions.isEmpty() ? ""
                                    : " and have Established BGP sessions" + (unverified.isEmpty() ? ""
                                            : " (waiting for " + shortList(unverified) + ")")));
                }
            }
            if (obsolete.stream().anyMatch(v -> v.role == Role.DRAINING)) {
                recheckAfter = Optional.of(timeServed ? SESSION_RECHECK : longestWait);
            }
        }

        private static String shortList(List<String> items) {
            return items.size() <= 3 ? String.join(", ", items)
                    : String.join(", ", items.subList(0, 3)) + " and " + (items.size() - 3) + " more";
        }

        /** Stable indexes: kept RRs keep theirs (first claimant by keep order), new ones get the lowest free. */
        private void assignIndexes() {
            long capacity = topology == TopologyType.MULTI ? template.capacity() : Integer.MAX_VALUE;
            Set<Integer> used = new HashSet<>();
            List<View> rrs = views.stream().filter(View::isRr).sorted(KEEP_ORDER).toList();
            List<View> needIndex = new ArrayList<>();
            for (View view : rrs) {
                if (view.reflector && view.index >= 1 && view.index <= capacity && used.add(view.index)) {
                    view.targetIndex = view.index;
                } else {
                    needIndex.add(view);
                }
            }
            needIndex.sort(Comparator.comparing((View v) -> v.zone).thenComparing(View::name));
            int next = 1;
            for (View view : needIndex) {
                while (used.contains(next)) {
                    next++;
                }
                if (next > capacity) {
                    warnings.add("clusterId " + template + " has no index left for " + view.name()
                            + ": it stays a client");
                    view.role = Role.CLIENT;
                    continue;
                }
                used.add(next);
                view.targetIndex = next;
            }
        }

        private String rrSelector() {
            return config.routeReflectorLabelValue().isEmpty() ? Selectors.has(config.routeReflectorLabelKey())
                    : Selectors.equal(config.routeReflectorLabelKey(), config.routeReflectorLabelValue());
        }

        private List<PeerFacts> desiredPeers(Map<String, List<Integer>> groups) {
            List<PeerFacts> peers = new ArrayList<>();
            boolean anyRr = views.stream().anyMatch(View::isRr);
            if (!anyRr) {
                return peers;
            }
            String rr = rrSelector();
            if (topology == TopologyType.HIERARCHY) {
                // rack RRs never mesh with each other: every RR (spines too) peers with the spines only
                peers.add(new PeerFacts(SPINE_PEER, rr, indexIn(groups.getOrDefault(Racks.SPINE_GROUP, List.of()))));
            } else {
                peers.add(new PeerFacts(MESH_PEER, rr, rr));
            }
            if (topology == TopologyType.SINGLE) {
                peers.add(new PeerFacts(CLIENTS_PEER, "!(" + rr + ")", rr));
                return peers;
            }
            Set<String> used = new HashSet<>();
            views.stream().filter(v -> v.targetGroup != null).forEach(v -> used.add(v.targetGroup));
            groups.forEach((group, members) -> {
                if (used.contains(group)) {
                    peers.add(new PeerFacts(GROUP_PEER_PREFIX + group, Selectors.equal(Names.GROUP_LABEL, group),
                            indexIn(members)));
                }
            });
            return peers;
        }

        private static String indexIn(List<Integer> indexes) {
            return Selectors.in(Names.RR_INDEX_LABEL, indexes.stream().map(String::valueOf).toList());
        }

        private String targetClusterId(View view) {
            boolean grouped = topology == TopologyType.QUORUM || topology == TopologyType.HIERARCHY;
            if (grouped && (view.role == Role.DRAINING || !view.alive())) {
                // leaving, or kept while down because nothing is eligible: serves on as it is
                return view.clusterId;
            }
            return switch (topology) {
                case SINGLE -> template.sharedId();
                case MULTI -> template.idFor(view.targetIndex);
                case QUORUM -> template.idFor(view.targetCluster);
                case HIERARCHY -> view.targetSpine ? template.sharedId() : template.idFor(view.targetCluster);
            };
        }

        private List<Step> steps(List<PeerFacts> peers) {
            List<Step> dead = new ArrayList<>();
            List<Step> label = new ArrayList<>();
            List<Step> peerWrites = new ArrayList<>();
            List<Step> serve = new ArrayList<>();
            List<Step> move = new ArrayList<>();
            List<Step> cleanup = new ArrayList<>();
            List<Step> unserve = new ArrayList<>();
            List<Step> unlabel = new ArrayList<>();
            String rrKey = config.routeReflectorLabelKey();
            List<Map<String, String>> reflectorLabels = new ArrayList<>();
            for (View view : views) {
                if (view.role == Role.FOREIGN || view.role == Role.CLIENT && isSettledClient(view)) {
                    continue; // most nodes: nothing to write, and no maps to build for them
                }
                Map<String, String> labels = view.facts.labels();
                Map<String, String> annotations = view.facts.annotations();
                Map<String, String> wantLabels = new LinkedHashMap<>();
                Map<String, String> wantAnnotations = new LinkedHashMap<>();
                if (view.isRr()) {
                    String clusterId = targetClusterId(view);
                    wantLabels.put(rrKey, config.routeReflectorLabelValue());
                    wantLabels.put(Names.RR_INDEX_LABEL, String.valueOf(view.targetIndex));
                    wantLabels.put(Names.GROUP_LABEL, null);
                    wantAnnotations.put(Names.CLUSTER_ID_ANNOTATION, clusterId);
                    boolean keepsServing = Objects.equals(clusterId, view.clusterId) && view.servingSince != null;
                    wantAnnotations.put(Names.SERVING_SINCE_ANNOTATION,
                            clusterId == null ? null
                                    : keepsServing ? annotations.get(Names.SERVING_SINCE_ANNOTATION) : now.toString());
                } else {
                    wantLabels.put(rrKey, null);
                    wantLabels.put(Names.RR_INDEX_LABEL, null);
                    wantLabels.put(Names.GROUP_LABEL, view.targetGroup);
                    wantAnnotations.put(Names.CLUSTER_ID_ANNOTATION, null);
                    wantAnnotations.put(Names.SERVING_SINCE_ANNOTATION, null);
                }
                Map<String, String> labelDiff = diff(labels, wantLabels);
                Map<String, String> annotationDiff = diff(annotations, wantAnnotations);
                if (view.isRr() && view.alive()) {
                    Map<String, String> after = new HashMap<>(labels);
                    wantLabels.forEach((key, value) -> {
                        if (value == null) {
                            after.remove(key);
                        } else {
                            after.put(key, value);
                        }
                    });
                    reflectorLabels.add(after);
                } else if (view.role == Role.DEMOTE && view.alive()) {
                    reflectorLabels.add(labels); // still serving until the end of this plan
                }
                if (labelDiff.isEmpty() && annotationDiff.isEmpty()) {
                    continue;
                }
                String name = view.name();
                switch (view.role) {
                    case TARGET, DRAINING -> {
                        // a promoted client keeps its group (its sessions) until it serves with its cluster ID
                        Map<String, String> leaveGroup = new LinkedHashMap<>();
                        if (labelDiff.containsKey(Names.GROUP_LABEL)) {
                            leaveGroup.put(Names.GROUP_LABEL, labelDiff.remove(Names.GROUP_LABEL));
                        }
                        if (!labelDiff.isEmpty()) {
                            label.add(new Step.PatchNode(name, labelDiff, Map.of(), view.reflector ? "relabel" : "promote"));
                        }
                        if (!annotationDiff.isEmpty() || !leaveGroup.isEmpty()) {
                            serve.add(new Step.PatchNode(name, leaveGroup, annotationDiff, "serve"));
                        }
                        if (!view.reflector) {
                            decisions.add(new Decision(view.zone, "promote", name, "clusterID=" + targetClusterId(view),
                                    promoteReasons.getOrDefault(name, "needed")));
                        }
                    }
                    case DEMOTE -> {
                        String reason = demoteReasons.getOrDefault(name, "not-needed");
                        decisions.add(new Decision(view.zone, "demote", name, "", reason));
                        if (!view.alive()) {
                            dead.add(new Step.PatchNode(name, labelDiff, annotationDiff, "demote " + reason));
                        } else {
                            if (!annotationDiff.isEmpty()) {
                                unserve.add(new Step.PatchNode(name, Map.of(), annotationDiff, "demote " + reason));
                            }
                            if (!labelDiff.isEmpty()) {
                                unlabel.add(new Step.PatchNode(name, labelDiff, Map.of(), "demote " + reason));
                            }
                        }
                    }
                    default -> move.add(new Step.PatchNode(name, labelDiff, annotationDiff,
                            view.targetGroup == null ? "client" : "client of group " + view.targetGroup));
                }
            }
            Set<String> wanted = new HashSet<>();
            for (PeerFacts peer : peers) {
                wanted.add(peer.name());
                PeerFacts observed = observedPeers.get(peer.name());
                if (observed == null) {
                    peerWrites.add(new Step.CreatePeer(peer, "topology"));
                } else if (!observed.equals(peer)) {
                    if (!observed.nodeSelector().equals(peer.nodeSelector()) || widens(observed, peer, reflectorLabels)) {
                        peerWrites.add(new Step.UpdatePeer(peer, "topology"));
                    } else {
                        // Narrowing drops RRs the clients still use: first peer with old and new RRs
                        // (the new ones serve before the clients move), narrow only after that.
                        peerWrites.add(new Step.UpdatePeer(new PeerFacts(peer.name(), peer.nodeSelector(),
                                "(" + observed.peerSelector() + ") || (" + peer.peerSelector() + ")"),
                                "topology (old and new RRs while the new ones start serving)"));
                        cleanup.add(new Step.UpdatePeer(peer, "topology"));
                    }
                }
            }
            observedPeers.keySet().stream().filter(name -> !wanted.contains(name))
                    .forEach(name -> cleanup.add(new Step.DeletePeer(name, "obsolete")));
            for (List<Step> phase : List.of(dead, label, serve, move, unserve, unlabel)) {
                phase.sort(BY_NODE); // node patches: deterministic whatever the snapshot's order
            }
            List<Step> steps = new ArrayList<>();
            steps.addAll(dead);
            steps.addAll(label);
            steps.addAll(peerWrites);
            steps.addAll(serve);
            steps.addAll(move);
            steps.addAll(cleanup);
            steps.addAll(unserve);
            steps.addAll(unlabel);
            return steps;
        }

        /** A client that already carries exactly what a client wants: the diff below would be empty. */
        private boolean isSettledClient(View view) {
            Map<String, String> labels = view.facts.labels();
            Map<String, String> annotations = view.facts.annotations();
            return !view.reflector && view.clusterId == null && Objects.equals(view.group, view.targetGroup)
                    && !labels.containsKey(Names.RR_INDEX_LABEL)
                    && !annotations.containsKey(Names.SERVING_SINCE_ANNOTATION);
        }

        /** Whether every live RR the observed peer selects is still selected by the desired one. */
        private static boolean widens(PeerFacts observed, PeerFacts desired, List<Map<String, String>> reflectorLabels) {
            Selector before;
            Selector after;
            try {
                before = Selector.parse(observed.peerSelector());
                after = Selector.parse(desired.peerSelector());
            } catch (SelectorParseException e) {
                return true; // not ours to keep: a plain replacement
            }
            for (Map<String, String> labels : reflectorLabels) {
                if (before.matches(labels) && !after.matches(labels)) {
                    return false;
                }
            }
            return true;
        }

        private static Map<String, String> diff(Map<String, String> current, Map<String, String> wanted) {
            Map<String, String> changes = new LinkedHashMap<>();
            wanted.forEach((key, value) -> {
                if (!Objects.equals(current.get(key), value)) {
                    changes.put(key, value);
                }
            });
            return changes;
        }

        private PlanSummary summary(List<View> targets, Map<String, List<Integer>> groups, List<PeerFacts> peers) {
            Map<String, Integer> actual = new TreeMap<>();
            for (View view : views) {
                if (view.reflector && view.clusterId != null) {
                    actual.merge(view.zone, 1, Integer::sum);
                }
            }
            Map<String, Integer> clients = new TreeMap<>();
            Map<Integer, String> byIndex = new HashMap<>();
            targets.forEach(t -> {
                clients.put(t.name(), 0);
                byIndex.put(t.targetIndex, t.name());
            });
            int clientCount = 0;
            Map<String, int[]> perGroup = new HashMap<>();
            for (View view : views) {
                if (view.role != Role.CLIENT && view.role != Role.DEMOTE) {
                    continue;
                }
                clientCount++;
                if (view.targetGroup != null) {
                    int[] count = perGroup.get(view.targetGroup);
                    if (count == null) {
                        count = new int[1];
                        perGroup.put(view.targetGroup, count);
                    }
                    count[0]++;
                }
            }
            // a group's clients peer with each of its RRs; in single every client with every RR
            perGroup.forEach((group, count) -> groups.get(group).stream().map(byIndex::get).filter(Objects::nonNull)
                    .forEach(rr -> clients.merge(rr, count[0], Integer::sum)));
            if (topology == TopologyType.SINGLE) {
                int all = clientCount;
                targets.forEach(t -> clients.put(t.name(), all));
            }
            Map<String, Integer> desired = new TreeMap<>();
            eligiblePerZone.keySet().forEach(zone -> desired.put(zone, 0));
            targets.forEach(t -> desired.merge(t.zone, 1, Integer::sum));
            return new PlanSummary(eligible, targets.size(), desired, actual, clients, peers.size());
        }
    }
}
