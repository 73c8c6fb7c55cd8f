package dev.calicorr.routereflector.plan;

import dev.calicorr.routereflector.config.ClusterIdTemplate;
import dev.calicorr.routereflector.config.LabelMatch;
import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.model.ClusterSnapshot;
import dev.calicorr.routereflector.model.NodeFacts;
import dev.calicorr.routereflector.model.PeerFacts;
import dev.calicorr.routereflector.model.SessionFacts;
import dev.calicorr.routereflector.selector.Selectors;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The pure planner (design §4): observed nodes and owned BGPPeers plus the configuration in, the
 * ordered writes of the target topology out. Deterministic (the same plan whatever the order of
 * the snapshot, no clock but {@code now}, no randomness) and O(N log N), with only the nodes it
 * chooses among or writes to sorted.
 */
public final class Planner {
    private static final Set<String> DISQUALIFYING_EFFECTS = Set.of("NoSchedule", "NoExecute");
    /** How soon to look again when only BGP sessions hold a hand-over back (status updates also wake us). */
    static final Duration SESSION_RECHECK = Duration.ofSeconds(10);

    private Planner() {
    }

    public static Plan plan(ClusterSnapshot snapshot, RouteReflectorConfig config, Instant now) {
        return new Planning(snapshot, config, now).run();
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
        return node.ready() ? ineligibilityWhenReady(node, config) : "NotReady";
    }

    /** Why the node would not be eligible if it were Ready, or null. */
    private static String ineligibilityWhenReady(NodeFacts node, RouteReflectorConfig config) {
        if (node.unschedulable()) {
            return "cordoned";
        }
        for (int i = 0; i < node.taints().size(); i++) { // most nodes have none: no iterator
            NodeFacts.Taint taint = node.taints().get(i);
            if (DISQUALIFYING_EFFECTS.contains(taint.effect()) && !config.tolerations().contains(taint.key())) {
                return "taint(" + taint.key() + ":" + taint.effect() + ")";
            }
        }
        if (!config.nodeSelector().matches(node.labels())) {
            return "nodeSelector";
        }
        if (!config.incompatibleLabels().isEmpty() && LabelMatch.anyMatches(config.incompatibleLabels(), node.labels())) {
            return "incompatibleLabels";
        }
        return null;
    }

    private static final class Planning {
        private final RouteReflectorConfig config;
        private final Instant now;
        private final ClusterIdTemplate template;
        private final Topology topology;
        private final List<View> views;
        private final Map<String, PeerFacts> observedPeers = new TreeMap<>();
        private final Optional<Map<String, SessionFacts>> sessions;
        private final List<String> warnings = new ArrayList<>();
        private int eligible;
        /** NotReady nodes that would be eligible if Ready, for a topology that counts them */
        private int notReadyOtherwiseEligible;
        private final Map<String, Integer> eligiblePerZone = new HashMap<>();
        /** the nodes carrying our RR label (or index and cluster ID), in the snapshot's order */
        private final List<View> reflectors = new ArrayList<>();
        private final Selection selection;

        Planning(ClusterSnapshot snapshot, RouteReflectorConfig config, Instant now) {
            this.config = config;
            this.now = now;
            this.template = config.clusterId();
            this.topology = Topology.of(config);
            // in the snapshot's order: sorting 100k names would cost more than the rest of a replan;
            // every choice below orders what it chooses from, and the output is sorted at the end
            this.views = new ArrayList<>(snapshot.nodes().size());
            Map<String, String> shared = new HashMap<>();
            Function<String, String> share = value -> {
                String first = shared.putIfAbsent(value, value);
                return first == null ? value : first;
            };
            Map<String, int[]> perZone = new HashMap<>();
            int unzoned = 0;
            for (NodeFacts node : snapshot.nodes()) {
                View view = new View(node, config, template, topology.rackLabel(), share);
                views.add(view);
                boolean foreign = !view.reflector && view.clusterId != null;
                view.role = foreign ? Role.FOREIGN : Role.CLIENT;
                if (foreign) {
                    warnings.add("node " + view.name() + " has a route reflector cluster ID but not our label "
                            + config.routeReflectorLabelKey() + ": left alone");
                    continue;
                }
                if (view.reflector) {
                    reflectors.add(view);
                }
                if (!view.alive() && topology.countsNotReady() && ineligibilityWhenReady(node, config) == null) {
                    notReadyOtherwiseEligible++;
                }
                if (view.eligible()) {
                    eligible++;
                    perZone.computeIfAbsent(view.zone, z -> new int[1])[0]++;
                    if (view.zone.isEmpty() && !config.zoneLabel().isEmpty()) {
                        unzoned++;
                    }
                }
            }
            perZone.forEach((zone, count) -> eligiblePerZone.put(zone, count[0]));
            if (unzoned > 0) {
                warnings.add(unzoned + " eligible node(s) have no " + config.zoneLabel()
                        + " label; they form the zone \"\"");
            }
            snapshot.ownedPeers().forEach(peer -> observedPeers.put(peer.name(), peer));
            this.sessions = snapshot.sessions();
            this.selection = new Selection(views, reflectors, eligiblePerZone);
        }

        /**
         * The pipeline: what each node is was read in the constructor (eligibility, counting);
         * then the topology's targets, obsolete RRs draining or demoted, indexes, where clients
         * go, the node writes, the BGPPeers and the steps in their phases.
         */
        Plan run() {
            chooseTargets();
            Optional<Duration> recheckAfter = resolveObsolete();
            assignIndexes();
            List<View> targets = selection.withRole(Role.TARGET);
            // Targets are eligible, hence alive, except when nothing is eligible and every RR is kept:
            // then clients go to the live ones only.
            List<View> live = targets.stream().filter(View::alive).toList();
            List<View> serving = live.isEmpty() ? targets : live;
            Map<String, List<Integer>> groups = topology.assignClients(views, serving, observedPeers, warnings);
            targets = selection.withRole(Role.TARGET); // a rack without an ID drops out
            NodeWrites nodeWrites = new NodeWrites(selection, groups, topology, config, now, observedPeers);
            // a group whose last client left keeps its peer while the group stays: clients come and
            // go at the edge of a group (a new RR's fills with new clients), each costing its label only
            Set<String> used = new HashSet<>(nodeWrites.clientsPerGroup.keySet());
            groups.keySet().stream().filter(g -> observedPeers.containsKey(Peers.GROUP_PEER_PREFIX + g)).forEach(used::add);
            List<PeerFacts> peers = desiredPeers(groups, used);
            Plan.Phases steps = Phasing.order(nodeWrites, peers, observedPeers);
            List<Decision> decisions = new ArrayList<>(nodeWrites.decisions);
            decisions.sort(Comparator.comparing(Decision::node));
            warnings.sort(Comparator.naturalOrder());
            return new Plan(steps.steps(), steps.breakFrom(), decisions, summary(targets, groups, peers, nodeWrites),
                    warnings, peers, recheckAfter);
        }

        private void chooseTargets() {
            if (eligible == 0) {
                topology.keepTargets(selection);
                warnings.add("no eligible node (Ready, schedulable, untainted, matching nodeSelector): keeping the "
                        + reflectors.size() + " current route reflector(s) and changing nothing until nodes are eligible");
                return;
            }
            topology.chooseTargets(selection, count(), warnings);
        }

        /** The RR count: the calculation's, clamped and made whole by the topology, with its hysteresis. */
        private int count() {
            int computed = topology.count(ZoneSplit.total(eligible + notReadyOtherwiseEligible, config.calculation(),
                    config.min(), config.max()), eligible, warnings);
            int step = topology.hysteresis();
            // the RRs held now, of every tier: only hierarchy has two, and it has no hysteresis
            int serving = (int) reflectors.stream().filter(View::eligible).count();
            // one step above the count is kept, also while RRs that just became ineligible are replaced
            // (a quorum that lost a member is still held)
            int held = computed + step;
            int total = step > 0 && serving > computed && serving <= held && held <= config.max() && held <= eligible
                    ? held : computed;
            if (total != computed) {
                warnings.add("keeping " + held + " route reflector(s), " + step + " above the " + computed
                        + " the " + config.calculation().configName() + " calculation asks for, so a cluster on the "
                        + "boundary does not flap");
            }
            if (config.min() > eligible) {
                warnings.add("min=" + config.min() + " but only " + eligible + " eligible node(s): using " + total);
            }
            return total;
        }

        /**
         * Obsolete RRs: dead ones and ones that never got a cluster ID (nobody depends on them) go
         * now; live ones wait until every target has served for removalDelay and, where calico-node
         * reports sessions, has taken over its clients (its sessions Established: SessionFacts.verified).
         * Returns when to look again while one drains.
         */
        private Optional<Duration> resolveObsolete() {
            List<View> obsolete = reflectors.stream().filter(v -> v.role == Role.CLIENT).toList();
            if (obsolete.isEmpty()) {
                return Optional.empty();
            }
            Duration longestWait = Duration.ZERO;
            List<String> unverified = new ArrayList<>();
            for (View target : selection.withRole(Role.TARGET)) {
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
            unverified.sort(Comparator.naturalOrder());
            boolean timeServed = longestWait.isZero() || longestWait.isNegative();
            for (View view : obsolete) {
                String why = view.eligible() ? selection.demoteReasons.getOrDefault(view.name(), "not-needed")
                        : "ineligible(" + view.ineligibleBecause + ")";
                if (!view.alive() || view.clusterId == null || timeServed && unverified.isEmpty()) {
                    view.role = Role.DEMOTE;
                    selection.demoteReasons.put(view.name(), why);
                } else {
                    view.role = Role.DRAINING;
                    warnings.add("zone=" + view.zone + " " + view.name() + " is obsolete (" + why
                            + "): it stays a route reflector until its replacements have served for "
                            + config.removalDelay().toSeconds() + "s" + (sessions.isEmpty() ? ""
                                    : " and have Established BGP sessions" + (unverified.isEmpty() ? ""
                                            : " (waiting for " + shortList(unverified) + ")")));
                }
            }
            return obsolete.stream().anyMatch(v -> v.role == Role.DRAINING)
                    ? Optional.of(timeServed ? SESSION_RECHECK : longestWait) : Optional.empty();
        }

        private static String shortList(List<String> items) {
            return items.size() <= 3 ? String.join(", ", items)
                    : String.join(", ", items.subList(0, 3)) + " and " + (items.size() - 3) + " more";
        }

        /** Stable indexes: kept RRs keep theirs (first claimant by keep order), new ones get the lowest free. */
        private void assignIndexes() {
            long capacity = topology.indexCapacity();
            Set<Integer> used = new HashSet<>();
            List<View> rrs = new ArrayList<>(selection.withRole(Role.TARGET));
            rrs.addAll(selection.withRole(Role.DRAINING));
            rrs.sort(Selection.KEEP_ORDER);
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

        private List<PeerFacts> desiredPeers(Map<String, List<Integer>> groups, Set<String> used) {
            boolean anyRr = !selection.withRole(Role.TARGET).isEmpty() || !selection.withRole(Role.DRAINING).isEmpty();
            return anyRr ? topology.peers(rrSelector(), groups, used) : List.of();
        }

        private PlanSummary summary(List<View> targets, Map<String, List<Integer>> groups, List<PeerFacts> peers,
                NodeWrites writes) {
            Map<String, Integer> actual = new TreeMap<>();
            for (View view : reflectors) {
                if (view.clusterId != null) {
                    actual.merge(view.zone, 1, Integer::sum);
                }
            }
            Map<String, Integer> clients = topology.clientsPerRr(targets, groups, writes.clientsPerGroup, writes.clients);
            Map<String, Integer> desired = new TreeMap<>();
            eligiblePerZone.keySet().forEach(zone -> desired.put(zone, 0));
            targets.forEach(t -> desired.merge(t.zone, 1, Integer::sum));
            return new PlanSummary(eligible, targets.size(), desired, actual, clients, peers.size());
        }
    }
}
