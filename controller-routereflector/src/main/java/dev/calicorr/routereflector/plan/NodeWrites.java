package dev.calicorr.routereflector.plan;

import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.model.Names;
import dev.calicorr.routereflector.model.PeerFacts;
import dev.calicorr.routereflector.selector.Selector;
import dev.calicorr.routereflector.selector.SelectorParseException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the nodes' side of a plan needs, gathered in one pass over every node: the node patches
 * by phase, each live RR's labels after the plan, the clients per group, and a decision per
 * promotion and demotion.
 */
final class NodeWrites {
    /** The annotations we manage as a client wants them: none. */
    private static final Map<String, String> CLIENT_ANNOTATIONS = removals(Names.CLUSTER_ID_ANNOTATION,
            Names.SERVING_SINCE_ANNOTATION);
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
    /** the promotions and demotions, for the log */
    final List<Decision> decisions = new ArrayList<>();
    private final Selection selection;
    private final Topology topology;
    private final RouteReflectorConfig config;
    private final Instant now;
    private final Map<String, PeerFacts> observedPeers;

    /**
     * One pass over the nodes of {@code selection}, foreign RRs left out.
     *
     * @param groups each group's RR indexes, by group id
     */
    NodeWrites(Selection selection, Map<String, List<Integer>> groups, Topology topology, RouteReflectorConfig config,
            Instant now, Map<String, PeerFacts> observedPeers) {
        this.selection = selection;
        this.topology = topology;
        this.config = config;
        this.now = now;
        this.observedPeers = observedPeers;
        Map<String, String> moveReasons = new HashMap<>();
        List<View> moved = new ArrayList<>();
        for (View view : selection.views) {
            if (view.role == Role.FOREIGN) {
                continue;
            }
            if (view.role == Role.CLIENT || view.role == Role.DEMOTE) {
                clients++;
                if (view.targetGroup != null && groups.containsKey(view.targetGroup)) { // a NotReady client may keep a gone one
                    clientsPerGroup.computeIfAbsent(view.targetGroup, g -> new int[1])[0]++;
                }
            }
            if (view.role != Role.CLIENT) {
                nodeWrite(view);
            } else if (view.leaving && Objects.equals(view.group, view.targetGroup)) {
                // the second half of a demotion: its sessions as a client came up since the first
                // (one whose group changed meanwhile moves first, as any client, and drops it after)
                (view.alive() ? unlabel : dead).add(new Step.PatchNode(view.name,
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
                widenFor.computeIfAbsent(view.targetGroup, g -> new TreeSet<>()).add(view.group);
            }
        }
        addMoves(within, move, moveReasons);
        addMoves(across, moveAcross, moveReasons);
        // the same order whatever the snapshot's
        for (List<Step> phase : List.of(dead, label, serve, join, relabelServing,
                reserve, unserve, unlabel)) {
            ByName.forListing(phase, phase.stream().mapToInt(step -> node(step).hashCode()).toArray(), NodeWrites::node);
        }
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
        ByName.forListing(into, hashes, NodeWrites::node);
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
        for (View rr : selection.reflectors) {
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
    private void nodeWrite(View view) {
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
                reflectorLabels.add(after);
            }
        } else {
            labelDiff = diff(labels, clientLabels(view));
            annotationDiff = diff(annotations, clientAnnotations(annotations));
            if (view.alive()) {
                reflectorLabels.add(labels); // still serving until the end of this plan
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
                (reindexed ? relabelServing : label).add(new Step.PatchNode(name, labelDiff, Map.of(),
                        view.reflector ? "relabel" : "promote"));
            }
            if (!annotationDiff.isEmpty() || !leaveGroup.isEmpty()) {
                (reindexed ? reserve : serve).add(new Step.PatchNode(name, leaveGroup, annotationDiff,
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
            dead.add(new Step.PatchNode(name, labelDiff, annotationDiff, "demote " + reason));
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
            this.unserve.add(new Step.PatchNode(name, unserve, annotationDiff, "demote " + reason));
            return;
        }
        if (!joinGroup.isEmpty()) {
            join.add(new Step.PatchNode(name, joinGroup, Map.of(), "demote " + reason));
        }
        if (!labelDiff.isEmpty()) {
            unlabel.add(new Step.PatchNode(name, labelDiff, Map.of(), "demote " + reason));
        }
    }

    /** A client that already carries exactly what a client wants: the diff below would be empty. */
    private static boolean isSettledClient(View view) {
        return !view.reflector && view.clusterId == null && !view.bookkeeping
                && Objects.equals(view.group, view.targetGroup);
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

    private static String node(Step patch) {
        return ((Step.PatchNode) patch).node();
    }
}
