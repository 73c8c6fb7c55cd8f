package dev.calicorr.routereflector.apply;

import dev.calicorr.routereflector.model.Names;
import dev.calicorr.routereflector.model.NodeFacts;
import dev.calicorr.routereflector.model.SessionFacts;
import io.kubernetes.client.informer.cache.Indexer;
import io.kubernetes.client.openapi.models.V1Node;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What this leader has seen of the nodes beyond their objects, by its own clock, and how that
 * changes the nodes the planner is given (the planner stays pure and unchanged): nodes that refused
 * our patches are not promoted, nodes a patch found deleted are left out, a route reflector
 * NotReady for less than its grace is still Ready, and a route reflector serves since no earlier
 * than this leader first saw it serve. Used by the reconcile thread only.
 */
final class LeaderObservations {
    /** How long a node that refused our patch is left as it is before it is tried again. */
    static final Duration REFUSAL_MEMORY = Duration.ofMinutes(5);

    private final Indexer<V1Node> nodes;
    private final Map<String, Instant> refusing = new HashMap<>();
    private final Map<String, String> goneByUid = new HashMap<>();
    private Map<String, Instant> notReadySince = new HashMap<>();
    private Map<String, ServingSeen> servingSeen = new HashMap<>();
    private Optional<Duration> graceRecheck = Optional.empty();

    /** A serving-since annotation as written, and when this leader first saw it. */
    private record ServingSeen(String written, Instant firstSeen) {
    }

    LeaderObservations(Indexer<V1Node> nodes) {
        this.nodes = nodes;
    }

    /** The node refused our patch: left alone, and not promoted, for {@link #REFUSAL_MEMORY}. */
    void refused(String node, Instant now) {
        refusing.put(node, now.plus(REFUSAL_MEMORY));
    }

    boolean refusing(String node) {
        return refusing.containsKey(node);
    }

    /** A patch found the node deleted: left out while the cache still shows that object. */
    void gone(String node) {
        V1Node cached = nodes.getByKey(node);
        if (cached != null) {
            goneByUid.put(node, cached.getMetadata().getUid());
        }
    }

    /** When a route reflector kept Ready for its grace must be looked at again, if any is. */
    Optional<Duration> graceRecheck() {
        return graceRecheck;
    }

    /** The nodes as the planner is to see them. */
    List<NodeFacts> asSeenHere(List<NodeFacts> facts, Instant now, Duration notReadyGrace,
            Map<String, SessionFacts> reported) {
        refusing.values().removeIf(until -> !now.isBefore(until));
        goneByUid.entrySet().removeIf(gone -> {
            V1Node cached = nodes.getByKey(gone.getKey());
            return cached == null || !gone.getValue().equals(cached.getMetadata().getUid());
        });
        List<NodeFacts> seen = new ArrayList<>(facts.size());
        Map<String, ServingSeen> servingNow = new HashMap<>();
        Map<String, Instant> notReadyNow = new HashMap<>();
        graceRecheck = Optional.empty();
        for (NodeFacts node : facts) {
            if (!goneByUid.containsKey(node.name())) {
                NodeFacts kept = readyWithinGrace(node, now, notReadyGrace, reported, notReadyNow);
                seen.add(servingAsSeenHere(notPromotedWhileRefusing(kept), now, servingNow));
            }
        }
        servingSeen = servingNow;
        notReadySince = notReadyNow;
        return seen;
    }

    /**
     * NotReady is not BGP down: a route reflector whose node went NotReady (a kubelet or network
     * blip) is still Ready to the planner for {@code grace} after this leader first saw it NotReady,
     * unless calico-node reports none of its sessions Established; so a short blip costs no write.
     */
    private NodeFacts readyWithinGrace(NodeFacts node, Instant now, Duration grace, Map<String, SessionFacts> reported,
            Map<String, Instant> notReadyNow) {
        if (node.ready()) {
            return node;
        }
        Instant since = notReadySince.getOrDefault(node.name(), now);
        notReadyNow.put(node.name(), since);
        Duration left = grace.minus(Duration.between(since, now));
        SessionFacts sessions = reported.get(node.name());
        boolean bgpDown = sessions != null && sessions.established() == 0;
        boolean serving = node.annotations().containsKey(Names.CLUSTER_ID_ANNOTATION);
        if (!serving || bgpDown || left.isNegative() || left.isZero()) {
            return node;
        }
        if (graceRecheck.isEmpty() || left.compareTo(graceRecheck.get()) < 0) {
            graceRecheck = Optional.of(left);
        }
        return new NodeFacts(node.name(), node.labels(), node.annotations(), true, node.unschedulable(),
                node.taints(), node.created());
    }

    /**
     * A route reflector's serving-since as this leader may trust it: the annotation was written by
     * whichever replica promoted it, with that replica's clock. The planner (removalDelay) and the
     * mesh hand-off get the later of the annotation and this leader's first sight of it, never a
     * time in this leader's future: a replica whose clock runs behind cannot make another one's route
     * reflector look long served, one whose clock runs ahead cannot make it wait for ever. A new
     * leader so waits removalDelay afresh, which is the safe side.
     */
    private NodeFacts servingAsSeenHere(NodeFacts node, Instant now, Map<String, ServingSeen> servingNow) {
        Instant since = node.servingSince();
        if (since == null) {
            return node;
        }
        String written = node.annotations().get(Names.SERVING_SINCE_ANNOTATION);
        ServingSeen seen = servingSeen.get(node.name());
        if (seen == null || !seen.written().equals(written)) {
            seen = new ServingSeen(written, now);
        }
        servingNow.put(node.name(), seen);
        Instant trusted = since.isAfter(now) || since.isBefore(seen.firstSeen()) ? seen.firstSeen() : since;
        if (trusted.equals(since)) {
            return node;
        }
        Map<String, String> annotations = new HashMap<>(node.annotations());
        annotations.put(Names.SERVING_SINCE_ANNOTATION, trusted.toString());
        return new NodeFacts(node.name(), node.labels(), annotations, node.ready(), node.unschedulable(),
                node.taints(), node.created());
    }

    /**
     * A node that refuses our patches is not made a route reflector: the planner sees it as
     * cordoned (unless it serves already, which only its own patches could change).
     */
    private NodeFacts notPromotedWhileRefusing(NodeFacts node) {
        if (!refusing.containsKey(node.name()) || node.annotations().containsKey(Names.CLUSTER_ID_ANNOTATION)) {
            return node;
        }
        return new NodeFacts(node.name(), node.labels(), node.annotations(), node.ready(), true, node.taints(),
                node.created());
    }
}
