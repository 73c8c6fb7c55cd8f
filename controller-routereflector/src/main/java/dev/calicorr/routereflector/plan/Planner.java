package dev.calicorr.routereflector.plan;

import dev.calicorr.routereflector.config.ClusterIdTemplate;
import dev.calicorr.routereflector.config.LabelMatch;
import dev.calicorr.routereflector.config.RouteReflectorConfig;
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
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
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
        if (!node.ready()) {
            return "NotReady";
        }
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

    private static String node(Step patch) {
        return ((Step.PatchNode) patch).node();
    }

    private static final class Planning {
        /** The annotations we manage as a client wants them: none. */
        private static final Map<String, String> CLIENT_ANNOTATIONS = removals(Names.CLUSTER_ID_ANNOTATION,
                Names.SERVING_SINCE_ANNOTATION);
        private final RouteReflectorConfig config;
        private final Instant now;
        private final ClusterIdTemplate template;
        private final Topology topology;
        private final List<View> views;
        private final Map<String, PeerFacts> observedPeers = new TreeMap<>();
        private final Optional<Map<String, SessionFacts>> sessions;
        private final List<String> warnings = new ArrayList<>();
        private final List<Decision> decisions = new ArrayList<>();
        private Optional<Duration> recheckAfter = Optional.empty();
        private int eligible;
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

        /** The annotations we manage as a client with these annotations wants them: none of ours. */
        private static Map<String, String> clientAnnotations(Map<String, String> annotations) {
            if (!annotations.containsKey(Names.SCALE_DOWN_PROTECTION_ANNOTATION)) {
                return CLIENT_ANNOTATIONS;
            }
            Map<String, String> want = new LinkedHashMap<>(CLIENT_ANNOTATIONS);
            want.putAll(ScaleDownProtection.removed(annotations));
            return want;
        }

        /** A patch that removes these keys. */
        private static Map<String, String> removals(String... keys) {
            Map<String, String> removals = new LinkedHashMap<>();
            for (String key : keys) {
                removals.put(key, null);
            }
            return Collections.unmodifiableMap(removals);
        }

        Plan run() {
            chooseTargets();
            resolveObsolete();
            assignIndexes();
            List<View> targets = selection.withRole(Role.TARGET);
            // Targets are eligible, hence alive, except when nothing is eligible and every RR is kept:
            // then clients go to the live ones only.
            List<View> live = targets.stream().filter(View::alive).toList();
            List<View> serving = live.isEmpty() ? targets : live;
            Map<String, List<Integer>> groups = topology.assignClients(views, serving, observedPeers, warnings);
            targets = selection.withRole(Role.TARGET); // a rack without an ID drops out
            NodeWrites nodeWrites = nodeWrites(groups);
            List<PeerFacts> peers = desiredPeers(groups, nodeWrites.clientsPerGroup.keySet());
            Plan.Phases steps = steps(nodeWrites, peers);
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
            int computed = topology.count(ZoneSplit.total(eligible, config.calculation(), config.min(), config.max()),
                    eligible, warnings);
            int step = topology.hysteresis();
            // the RRs held now, of every tier: only hierarchy has two, and it has no hysteresis
            int serving = (int) reflectors.stream().filter(View::eligible).count();
            int total = step > 0 && serving == computed + step && serving <= config.max() ? serving : computed;
            if (total != computed) {
                warnings.add("keeping " + serving + " route reflector(s), " + step + " above the " + computed
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
         */
        private void resolveObsolete() {
            List<View> obsolete = reflectors.stream().filter(v -> v.role == Role.CLIENT).toList();
            if (obsolete.isEmpty()) {
                return;
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

        /**
         * What the nodes' side of a plan needs, gathered in one pass over every node: the node
         * patches by phase, each live RR's labels after the plan, and the clients per group.
         */
        private static final class NodeWrites {
            final List<Step> dead = new ArrayList<>();
            final List<Step> label = new ArrayList<>();
            final List<Step> serve = new ArrayList<>();
            /** serving RRs that change index, and their new cluster IDs: break steps */
            final List<Step> relabelServing = new ArrayList<>();
            final List<Step> reserve = new ArrayList<>();
            final List<Step> move = new ArrayList<>();
            /** moves into a group that shares no serving RR with the client's current one: break steps */
            final List<Step> moveAcross = new ArrayList<>();
            /** per target group, the current groups of the clients moving across into it */
            final Map<String, Set<String>> widenFor = new HashMap<>();
            final List<Step> unserve = new ArrayList<>();
            /** RRs that never served (or stopped serving) joining their client group before they drop the RR label */
            final List<Step> join = new ArrayList<>();
            final List<Step> unlabel = new ArrayList<>();
            final List<Map<String, String>> reflectorLabels = new ArrayList<>();
            /** clients (and RRs demoted now) per target group; its keys are the groups in use */
            final Map<String, int[]> clientsPerGroup = new HashMap<>();
            int clients;
        }

        private NodeWrites nodeWrites(Map<String, List<Integer>> groups) {
            NodeWrites writes = new NodeWrites();
            Map<String, String> moveReasons = new HashMap<>();
            List<View> moved = new ArrayList<>();
            for (View view : views) {
                if (view.role == Role.FOREIGN) {
                    continue;
                }
                if (view.role == Role.CLIENT || view.role == Role.DEMOTE) {
                    writes.clients++;
                    if (view.targetGroup != null && groups.containsKey(view.targetGroup)) { // a NotReady client may keep a gone one
                        writes.clientsPerGroup.computeIfAbsent(view.targetGroup, g -> new int[1])[0]++;
                    }
                }
                if (view.role != Role.CLIENT) {
                    nodeWrite(view, writes);
                } else if (view.leaving && Objects.equals(view.group, view.targetGroup)) {
                    // the second half of a demotion: its sessions as a client came up since the first
                    // (one whose group changed meanwhile moves first, as any client, and drops it after)
                    (view.alive() ? writes.unlabel : writes.dead).add(new Step.PatchNode(view.name,
                            diff(view.facts.labels(), clientLabels(view)), Map.of(), "demote (drops its RR label)"));
                } else if (!isSettledClient(view)) {
                    moved.add(view);
                }
            }
            Map<String, Boolean> overlapping = new HashMap<>();
            List<View> across = new ArrayList<>();
            List<View> within = new ArrayList<>();
            for (View view : moved) {
                boolean keepsAnRr = view.group == null || view.targetGroup == null || view.group.equals(view.targetGroup)
                        || overlapping.computeIfAbsent(view.group + " -> " + view.targetGroup,
                                pair -> sharesServingRr(view.group, groups.get(view.targetGroup)));
                (keepsAnRr ? within : across).add(view);
                if (!keepsAnRr) {
                    writes.widenFor.computeIfAbsent(view.targetGroup, g -> new TreeSet<>()).add(view.group);
                }
            }
            addMoves(within, writes.move, moveReasons);
            addMoves(across, writes.moveAcross, moveReasons);
            // the same order whatever the snapshot's
            for (List<Step> phase : List.of(writes.dead, writes.label, writes.serve, writes.join, writes.relabelServing,
                    writes.reserve, writes.unserve, writes.unlabel)) {
                ByName.forListing(phase, phase.stream().mapToInt(step -> node(step).hashCode()).toArray(), Planner::node);
            }
            return writes;
        }

        /** The patches of clients that change group, in name-hash order whatever the snapshot's. */
        private void addMoves(List<View> moved, List<Step> into, Map<String, String> moveReasons) {
            int[] hashes = new int[moved.size()];
            for (int i = 0; i < hashes.length; i++) {
                View view = moved.get(i);
                hashes[i] = view.nameHash();
                String reason = view.targetGroup == null ? "client"
                        : moveReasons.computeIfAbsent(view.targetGroup, g -> "client of group " + g);
                if (!view.reflector && view.clusterId == null && !view.bookkeeping) {
                    // most moves: a plain client changing group; no maps to diff
                    into.add(new Step.PatchNode(view.name, Collections.singletonMap(Names.GROUP_LABEL,
                            view.targetGroup), Map.of(), reason));
                } else {
                    Map<String, String> labelDiff = diff(view.facts.labels(), clientLabels(view));
                    Map<String, String> annotationDiff = diff(view.facts.annotations(),
                            clientAnnotations(view.facts.annotations()));
                    into.add(new Step.PatchNode(view.name, labelDiff, annotationDiff, reason));
                }
            }
            ByName.forListing(into, hashes, Planner::node);
        }

        /**
         * Whether a client of {@code current} keeps a session with a serving RR when it moves to the
         * group of these target RR indexes: an RR that serves now, keeps serving, is selected by the
         * current group's BGPPeer and is one of the destination's, under the index it carries now (an
         * RR that changes index does so in the break phase). O(R) per pair of groups.
         */
        private boolean sharesServingRr(String current, List<Integer> destination) {
            PeerFacts peer = observedPeers.get(Peers.GROUP_PEER_PREFIX + current);
            if (peer == null || destination == null) {
                return true; // no sessions through the current group's peer: the move loses none
            }
            Selector selector;
            try {
                selector = Selector.parse(peer.peerSelector());
            } catch (SelectorParseException e) {
                return true; // not a selector we wrote: it is replaced, not relied on
            }
            Set<Integer> wanted = new HashSet<>(destination);
            for (View rr : reflectors) {
                if (rr.isRr() && rr.alive() && rr.clusterId != null && wanted.contains(rr.targetIndex)
                        && String.valueOf(rr.targetIndex).equals(rr.facts.labels().get(Names.RR_INDEX_LABEL))
                        && selector.matches(rr.facts.labels())) {
                    return true;
                }
            }
            return false;
        }

        /** The labels we manage as a client wants them: no RR label, no index, its target group. */
        private Map<String, String> clientLabels(View view) {
            Map<String, String> want = new LinkedHashMap<>();
            want.put(config.routeReflectorLabelKey(), null);
            want.put(Names.RR_INDEX_LABEL, null);
            want.put(Names.GROUP_LABEL, view.targetGroup);
            return want;
        }

        /** The patches of an RR of this plan (target, draining or demoted now). */
        private void nodeWrite(View view, NodeWrites writes) {
            Map<String, String> labels = view.facts.labels();
            Map<String, String> annotations = view.facts.annotations();
            Map<String, String> labelDiff;
            Map<String, String> annotationDiff;
            if (view.isRr()) {
                String clusterId = topology.clusterId(view);
                Map<String, String> wantLabels = new LinkedHashMap<>();
                wantLabels.put(config.routeReflectorLabelKey(), config.routeReflectorLabelValue());
                wantLabels.put(Names.RR_INDEX_LABEL, String.valueOf(view.targetIndex));
                wantLabels.put(Names.GROUP_LABEL, null);
                Map<String, String> wantAnnotations = new LinkedHashMap<>();
                wantAnnotations.put(Names.CLUSTER_ID_ANNOTATION, clusterId);
                boolean keepsServing = Objects.equals(clusterId, view.clusterId) && view.servingSince != null;
                wantAnnotations.put(Names.SERVING_SINCE_ANNOTATION,
                        clusterId == null ? null
                                : keepsServing ? annotations.get(Names.SERVING_SINCE_ANNOTATION) : now.toString());
                ScaleDownProtection.wanted(annotations, clusterId != null && config.protectFromScaleDown(),
                        wantAnnotations);
                labelDiff = diff(labels, wantLabels);
                annotationDiff = diff(annotations, wantAnnotations);
                if (view.alive()) {
                    Map<String, String> after = new HashMap<>(labels);
                    wantLabels.forEach((key, value) -> {
                        if (value == null) {
                            after.remove(key);
                        } else {
                            after.put(key, value);
                        }
                    });
                    writes.reflectorLabels.add(after);
                }
            } else {
                labelDiff = diff(labels, clientLabels(view));
                annotationDiff = diff(annotations, clientAnnotations(annotations));
                if (view.alive()) {
                    writes.reflectorLabels.add(labels); // still serving until the end of this plan
                }
            }
            if (labelDiff.isEmpty() && annotationDiff.isEmpty()) {
                return;
            }
            String name = view.name();
            if (view.isRr()) {
                // a promoted client keeps its group (its sessions) until it serves with its cluster ID
                Map<String, String> leaveGroup = new LinkedHashMap<>();
                if (labelDiff.containsKey(Names.GROUP_LABEL)) {
                    leaveGroup.put(Names.GROUP_LABEL, labelDiff.remove(Names.GROUP_LABEL));
                }
                // A serving RR that changes index leaves the peers that select it by its old one: its
                // clients keep it through the make forms (old and new index) until then, so it is a break step.
                boolean reindexed = view.reflector && view.clusterId != null && labelDiff.containsKey(Names.RR_INDEX_LABEL);
                if (!labelDiff.isEmpty()) {
                    (reindexed ? writes.relabelServing : writes.label).add(new Step.PatchNode(name, labelDiff, Map.of(),
                            view.reflector ? "relabel" : "promote"));
                }
                if (!annotationDiff.isEmpty() || !leaveGroup.isEmpty()) {
                    (reindexed ? writes.reserve : writes.serve).add(new Step.PatchNode(name, leaveGroup, annotationDiff,
                            "serve"));
                }
                if (!view.reflector) {
                    decisions.add(new Decision(view.zone, "promote", name, "clusterID=" + topology.clusterId(view),
                            selection.promoteReasons.getOrDefault(name, "needed")));
                }
                return;
            }
            String reason = selection.demoteReasons.getOrDefault(name, "not-needed");
            decisions.add(new Decision(view.zone, "demote", name, "", reason));
            if (!view.alive()) {
                writes.dead.add(new Step.PatchNode(name, labelDiff, annotationDiff, "demote " + reason));
                return;
            }
            // It joins its client group before it drops its RR label (its sessions with the other RRs),
            // so its new sessions are up before the old ones go: a serving RR as it stops serving (its
            // index goes too, which marks it as leaving) and drops the label in the next plan; one that
            // does not serve in the make phase of this one.
            Map<String, String> joinGroup = labelDiff.containsKey(Names.GROUP_LABEL)
                    ? Collections.singletonMap(Names.GROUP_LABEL, labelDiff.remove(Names.GROUP_LABEL)) : Map.of();
            if (!annotationDiff.isEmpty()) {
                Map<String, String> unserve = new LinkedHashMap<>(joinGroup);
                if (labelDiff.containsKey(Names.RR_INDEX_LABEL)) {
                    unserve.put(Names.RR_INDEX_LABEL, null);
                }
                writes.unserve.add(new Step.PatchNode(name, unserve, annotationDiff, "demote " + reason));
                return;
            }
            if (!joinGroup.isEmpty()) {
                writes.join.add(new Step.PatchNode(name, joinGroup, Map.of(), "demote " + reason));
            }
            if (!labelDiff.isEmpty()) {
                writes.unlabel.add(new Step.PatchNode(name, labelDiff, Map.of(), "demote " + reason));
            }
        }

        /**
         * The steps in their two phases. Make: dead RRs' demotions (they serve nobody), RR labels,
         * every peer in its make form, cluster IDs, client moves that keep a serving RR. Break: the
         * serving RRs that change index, the other client moves, then each peer in its final form,
         * obsolete peers deleted, demotions.
         */
        private Plan.Phases steps(NodeWrites writes, List<PeerFacts> peers) {
            List<Step> peerWrites = new ArrayList<>();
            List<Step> cleanup = new ArrayList<>();
            Set<String> wanted = new HashSet<>();
            for (PeerFacts peer : peers) {
                wanted.add(peer.name());
                PeerFacts observed = observedPeers.get(peer.name());
                PeerFacts make = makeForm(peer, observed, writes);
                String reason = make.equals(peer) ? "topology"
                        : !make.nodeSelector().equals(peer.nodeSelector())
                                ? "topology (also the clients moving in, until their new sessions are up)"
                                : "topology (old and new RRs while the new ones start serving)";
                if (observed == null) {
                    peerWrites.add(new Step.CreatePeer(make, reason));
                } else if (!observed.equals(make)) {
                    peerWrites.add(new Step.UpdatePeer(make, reason));
                }
                if (!make.equals(peer)) {
                    cleanup.add(new Step.UpdatePeer(peer, "topology"));
                }
            }
            observedPeers.keySet().stream().filter(name -> !wanted.contains(name))
                    .forEach(name -> cleanup.add(new Step.DeletePeer(name, "obsolete")));
            List<Step> make = new ArrayList<>();
            make.addAll(writes.dead);
            make.addAll(writes.label);
            make.addAll(peerWrites);
            make.addAll(writes.serve);
            make.addAll(writes.move);
            make.addAll(writes.join);
            List<Step> steps = new ArrayList<>(make);
            steps.addAll(writes.relabelServing);
            steps.addAll(writes.reserve);
            steps.addAll(writes.moveAcross);
            steps.addAll(cleanup);
            steps.addAll(writes.unserve);
            steps.addAll(writes.unlabel);
            return new Plan.Phases(steps, make.size());
        }

        /**
         * A peer as the make phase writes it: it keeps every live RR the observed one selects while
         * the new ones start serving (its peerSelector the union of both), and a group's peer also
         * selects the current groups of the clients moving across into it, so they have sessions
         * with its RRs before they leave their old ones. Idempotent: a make form already written is
         * written again as it is, so a plan whose make phase is done has only break steps.
         */
        private PeerFacts makeForm(PeerFacts desired, PeerFacts observed, NodeWrites writes) {
            Set<String> movingIn = desired.name().startsWith(Peers.GROUP_PEER_PREFIX)
                    ? writes.widenFor.get(desired.name().substring(Peers.GROUP_PEER_PREFIX.length())) : null;
            String nodeSelector = desired.nodeSelector();
            if (movingIn != null) {
                List<String> selected = new ArrayList<>(movingIn);
                selected.add(desired.name().substring(Peers.GROUP_PEER_PREFIX.length()));
                selected.sort(Comparator.naturalOrder());
                nodeSelector = Selectors.in(Names.GROUP_LABEL, selected);
            }
            if (observed == null || observed.peerSelector().equals(desired.peerSelector())) {
                return new PeerFacts(desired.name(), nodeSelector, desired.peerSelector());
            }
            boolean replaced = !observed.nodeSelector().equals(desired.nodeSelector())
                    && !observed.nodeSelector().equals(nodeSelector);
            if (replaced || selectsAll(desired, observed, writes.reflectorLabels)) {
                // a new set of local nodes, or no RR dropped: a plain replacement
                return new PeerFacts(desired.name(), nodeSelector, desired.peerSelector());
            }
            // Narrowing drops RRs the clients still use: first peer with old and new RRs (the new
            // ones serve before the clients move), narrow only in the break phase.
            String peerSelector = selectsAll(observed, desired, writes.reflectorLabels) ? observed.peerSelector()
                    : "(" + observed.peerSelector() + ") || (" + desired.peerSelector() + ")";
            return new PeerFacts(desired.name(), nodeSelector, peerSelector);
        }

        /** A client that already carries exactly what a client wants: the diff below would be empty. */
        private static boolean isSettledClient(View view) {
            return !view.reflector && view.clusterId == null && !view.bookkeeping
                    && Objects.equals(view.group, view.targetGroup);
        }

        /** Whether {@code wide} selects every live RR (labels after this plan) that {@code narrow} selects. */
        private static boolean selectsAll(PeerFacts wide, PeerFacts narrow, List<Map<String, String>> reflectorLabels) {
            Selector outer;
            Selector inner;
            try {
                outer = Selector.parse(wide.peerSelector());
                inner = Selector.parse(narrow.peerSelector());
            } catch (SelectorParseException e) {
                return true; // not ours to keep: a plain replacement
            }
            for (Map<String, String> labels : reflectorLabels) {
                if (inner.matches(labels) && !outer.matches(labels)) {
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
