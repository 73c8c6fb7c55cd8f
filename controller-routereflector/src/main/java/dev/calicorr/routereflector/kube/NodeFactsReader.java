package dev.calicorr.routereflector.kube;

import dev.calicorr.routereflector.model.Names;
import dev.calicorr.routereflector.model.NodeFacts;
import io.kubernetes.client.common.KubernetesObject;
import io.kubernetes.client.openapi.models.V1Node;
import io.kubernetes.client.openapi.models.V1NodeCondition;
import io.kubernetes.client.openapi.models.V1NodeSpec;
import io.kubernetes.client.openapi.models.V1NodeStatus;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Taint;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Kubernetes {@code Node} objects to the planner's {@link NodeFacts}, and the slimming transform. */
public final class NodeFactsReader {
    /**
     * The only annotations the controller reads (the planner the cluster ID, its bookkeeping and the
     * scale-down annotations; the BGP addresses map the peers of a CalicoNodeStatus to nodes); the
     * informer keeps no others.
     */
    public static final Set<String> ANNOTATIONS_READ = Set.of(Names.CLUSTER_ID_ANNOTATION, Names.SERVING_SINCE_ANNOTATION,
            Names.IPV4_ADDRESS_ANNOTATION, Names.IPV6_ADDRESS_ANNOTATION, Names.SCALE_DOWN_PROTECTION_ANNOTATION,
            Names.SCALE_DOWN_DISABLED_ANNOTATION, Names.DO_NOT_DISRUPT_ANNOTATION);

    private NodeFactsReader() {
    }

    public static NodeFacts read(V1Node node) {
        V1ObjectMeta meta = node.getMetadata();
        V1NodeSpec spec = node.getSpec();
        List<NodeFacts.Taint> taints = spec == null || spec.getTaints() == null ? List.of()
                : spec.getTaints().stream().map(t -> new NodeFacts.Taint(t.getKey(), String.valueOf(t.getEffect()))).toList();
        Instant created = meta.getCreationTimestamp() == null ? Instant.EPOCH : meta.getCreationTimestamp().toInstant();
        return new NodeFacts(meta.getName(),
                meta.getLabels() == null ? Map.of() : meta.getLabels(),
                readAnnotations(meta.getAnnotations()),
                ready(node),
                spec != null && Boolean.TRUE.equals(spec.getUnschedulable()),
                taints,
                created);
    }

    /** Condition Ready is True. */
    public static boolean ready(V1Node node) {
        if (node.getStatus() == null || node.getStatus().getConditions() == null) {
            return false;
        }
        for (V1NodeCondition condition : node.getStatus().getConditions()) {
            if ("Ready".equals(condition.getType())) {
                return "True".equals(condition.getStatus());
            }
        }
        return false;
    }

    private static Map<String, String> readAnnotations(Map<String, String> annotations) {
        if (annotations == null) {
            return Map.of();
        }
        Map<String, String> read = new HashMap<>(4);
        for (String key : ANNOTATIONS_READ) {
            String value = annotations.get(key);
            if (value != null) {
                read.put(key, value);
            }
        }
        return read;
    }

    /**
     * Informer transform: keeps only what {@link #read} uses (no managedFields, images, addresses,
     * capacity), which keeps the cache of 20,000 nodes in a few tens of MB.
     */
    public static KubernetesObject slim(Object object) {
        if (!(object instanceof V1Node node)) {
            return (KubernetesObject) object;
        }
        V1ObjectMeta meta = node.getMetadata();
        V1ObjectMeta slimMeta = new V1ObjectMeta()
                .name(meta.getName())
                .uid(meta.getUid())
                .resourceVersion(meta.getResourceVersion())
                .creationTimestamp(meta.getCreationTimestamp())
                .deletionTimestamp(meta.getDeletionTimestamp())
                .labels(meta.getLabels());
        Map<String, String> annotations = readAnnotations(meta.getAnnotations());
        if (!annotations.isEmpty()) {
            slimMeta.annotations(new HashMap<>(annotations));
        }
        V1NodeSpec slimSpec = new V1NodeSpec();
        if (node.getSpec() != null) {
            slimSpec.unschedulable(node.getSpec().getUnschedulable());
            List<V1Taint> taints = node.getSpec().getTaints();
            if (taints != null && !taints.isEmpty()) {
                slimSpec.taints(taints.stream().map(t -> new V1Taint().key(t.getKey()).effect(t.getEffect())).toList());
            }
        }
        V1NodeStatus slimStatus = new V1NodeStatus();
        if (node.getStatus() != null && node.getStatus().getConditions() != null) {
            node.getStatus().getConditions().stream().filter(c -> "Ready".equals(c.getType())).findFirst()
                    .ifPresent(c -> slimStatus.addConditionsItem(new V1NodeCondition().type("Ready").status(c.getStatus())));
        }
        return new V1Node().apiVersion(node.getApiVersion()).kind(node.getKind()).metadata(slimMeta).spec(slimSpec)
                .status(slimStatus);
    }
}
