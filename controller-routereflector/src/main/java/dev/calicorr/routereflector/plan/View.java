package dev.calicorr.routereflector.plan;

import dev.calicorr.routereflector.config.ClusterIdTemplate;
import dev.calicorr.routereflector.config.LabelMatch;
import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.model.Names;
import dev.calicorr.routereflector.model.NodeFacts;
import java.time.Instant;
import java.util.Map;
import java.util.function.Function;

/**
 * What the planner reads of one node, read once: every later pass works on these fields only.
 * At 100k nodes a pass is bound by memory, not by work, so going back to a node's maps and
 * strings costs more than the pass itself.
 */
final class View {
    final NodeFacts facts;
    final String name;
    /** zone, group and rack are shared instances per value, so the planner's map lookups stay in cache */
    final String zone;
    final String ineligibleBecause;
    final boolean preferred;
    final boolean reflector;
    /** stopped serving as an RR in an earlier plan (joining its client group then); drops the RR label now */
    final boolean leaving;
    final int index;
    final String clusterId;
    final Instant servingSince;
    final String group;
    /** the rack label's value ("" when unlabelled or the topology has no racks) */
    final String rack;
    /** the keep order's tie-breaker after preference: creation time */
    final long createdSecond;
    final int createdNano;
    /** carries our index label or serving-since annotation: not a settled client even without a cluster ID */
    final boolean bookkeeping;
    final boolean alive;
    Role role;
    int targetIndex;
    String targetGroup;
    private int nameHash;
    private boolean nameHashed;

    /** @param rackLabel the label naming the rack, null when the topology has no racks (none is read) */
    View(NodeFacts facts, RouteReflectorConfig config, ClusterIdTemplate template, String rackLabel,
            Function<String, String> shared) {
        this.facts = facts;
        this.name = facts.name();
        Map<String, String> labels = facts.labels();
        Map<String, String> annotations = facts.annotations();
        this.zone = shared.apply(Planner.zoneOf(labels, config));
        this.ineligibleBecause = Planner.ineligibility(facts, config);
        this.preferred = !config.preferredLabels().isEmpty() && LabelMatch.anyMatches(config.preferredLabels(), labels);
        this.clusterId = annotations.get(Names.CLUSTER_ID_ANNOTATION);
        String indexLabel = labels.get(Names.RR_INDEX_LABEL);
        // The RR label alone (no index, no cluster ID): an RR that stopped serving and drops the label now.
        this.leaving = labels.containsKey(config.routeReflectorLabelKey()) && indexLabel == null && clusterId == null;
        // Our index label and a cluster ID make it ours even when someone removed the RR label:
        // the label is restored instead of the node being left alone as a foreign RR.
        this.reflector = labels.containsKey(config.routeReflectorLabelKey()) && !leaving
                || clusterId != null && indexLabel != null;
        boolean mayServe = reflector || clusterId != null;
        this.index = mayServe ? indexOf(indexLabel, clusterId, template) : 0;
        this.servingSince = mayServe ? facts.servingSince() : null;
        this.bookkeeping = indexLabel != null || annotations.containsKey(Names.SERVING_SINCE_ANNOTATION)
                || annotations.containsKey(Names.SCALE_DOWN_PROTECTION_ANNOTATION);
        String groupLabel = labels.get(Names.GROUP_LABEL);
        this.group = groupLabel == null ? null : shared.apply(groupLabel);
        this.rack = rackLabel != null ? shared.apply(labels.getOrDefault(rackLabel, "")) : "";
        Instant created = facts.created();
        this.createdSecond = created.getEpochSecond();
        this.createdNano = created.getNano();
        this.alive = facts.ready();
    }

    String name() {
        return name;
    }

    /** The name's hash code, kept here: reading it from the name itself is a cache miss per node. */
    int nameHash() {
        if (!nameHashed) {
            nameHash = name.hashCode();
            nameHashed = true;
        }
        return nameHash;
    }

    boolean eligible() {
        return ineligibleBecause == null;
    }

    boolean alive() {
        return alive;
    }

    boolean isRr() {
        return role == Role.TARGET || role == Role.DRAINING;
    }

    /**
     * Leaving, or kept while down because nothing is eligible: where RRs share cluster IDs (quorum,
     * hierarchy) it serves on with the one it has.
     */
    boolean servesOnAsItIs() {
        return role == Role.DRAINING || !alive;
    }

    /** The index of the cluster ID this node serves with now, or 0. */
    int currentCluster(ClusterIdTemplate template) {
        return clusterId == null ? 0 : template.indexOf(clusterId).orElse(0);
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
}
