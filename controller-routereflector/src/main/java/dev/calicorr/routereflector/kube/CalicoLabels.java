package dev.calicorr.routereflector.kube;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import java.util.HashMap;
import java.util.Map;

/**
 * The labels of a {@code crd.projectcalico.org} object as Calico reads them. When Calico's own
 * client (libcalico-go: calico-node's status reporter, calicoctl) writes such an object, it keeps
 * the resource's metadata as JSON in the {@code projectcalico.org/metadata} annotation and strips
 * every label but its own {@code projectcalico.org/} ones from the object's metadata. So a label we
 * set is, after calico-node wrote the object's status, found in that annotation.
 */
public final class CalicoLabels {
    public static final String METADATA_ANNOTATION = "projectcalico.org/metadata";
    private static final ObjectMapper JSON = new ObjectMapper();

    private CalicoLabels() {
    }

    /** The object's labels merged with those kept in Calico's metadata annotation (that one wins, as in libcalico-go). */
    public static Map<String, String> of(V1ObjectMeta meta) {
        Map<String, String> labels = new HashMap<>();
        if (meta == null) {
            return labels;
        }
        if (meta.getLabels() != null) {
            labels.putAll(meta.getLabels());
        }
        String kept = meta.getAnnotations() == null ? null : meta.getAnnotations().get(METADATA_ANNOTATION);
        if (kept != null) {
            try {
                JsonNode stored = JSON.readTree(kept).path("labels");
                stored.fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
            } catch (JsonProcessingException e) {
                // not Calico's JSON: the object's own labels are all there is
            }
        }
        return labels;
    }
}
