package dev.calicorr.routereflector.model;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What the planner knows of one Kubernetes node: the few facts eligibility, zoning and the current
 * route reflector role are read from. Built from the informer cache; never from the API directly.
 *
 * @param labels      all labels of the node (Calico selectors match these)
 * @param annotations the annotations the controller reads: the RR cluster ID
 *                    ({@link Names#CLUSTER_ID_ANNOTATION}) and its own bookkeeping
 */
public record NodeFacts(
        String name,
        Map<String, String> labels,
        Map<String, String> annotations,
        boolean ready,
        boolean unschedulable,
        List<Taint> taints,
        Instant created) {

    public NodeFacts {
        Objects.requireNonNull(name, "name");
        labels = Map.copyOf(labels);
        annotations = Map.copyOf(annotations);
        taints = List.copyOf(taints);
        Objects.requireNonNull(created, "created");
    }

    /**
     * When this node began serving as an RR with its cluster ID ({@link Names#SERVING_SINCE_ANNOTATION}),
     * or null when it does not say or says it in a form we did not write.
     */
    public Instant servingSince() {
        String text = annotations.get(Names.SERVING_SINCE_ANNOTATION);
        if (text == null) {
            return null;
        }
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** A node taint; only the key and the effect matter for eligibility. */
    public record Taint(String key, String effect) {
        public Taint {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(effect, "effect");
        }
    }
}
