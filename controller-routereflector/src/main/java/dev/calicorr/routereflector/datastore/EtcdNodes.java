package dev.calicorr.routereflector.datastore;

import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.calicorr.core.etcd.EtcdKeys;
import dev.calicorr.core.etcd.EtcdKv;
import dev.calicorr.core.etcd.EtcdValues;
import dev.calicorr.core.etcd.EtcdWatch;
import dev.calicorr.routereflector.kube.NodeFactsReader;
import dev.calicorr.routereflector.model.Names;
import io.etcd.jetcd.KeyValue;
import io.kubernetes.client.informer.ResourceEventHandler;
import io.kubernetes.client.informer.SharedIndexInformer;
import io.kubernetes.client.informer.cache.Cache;
import io.kubernetes.client.informer.cache.Indexer;
import io.kubernetes.client.openapi.models.V1Node;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.util.generic.KubernetesApiResponse;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Nodes as the planner reads them in the etcdv3 datastore: the Kubernetes Node (readiness, cordon,
 * taints, zone and other labels, creation time) joined by name with the Calico {@code Node} in etcd,
 * which holds what calico-node's BGP configuration is built from there: our labels (the route
 * reflector label and {@code calico-rr-controller/*}, read from the Calico Node only) and
 * {@code spec.bgp.routeReflectorClusterID} (shown as the KDD annotation). A Kubernetes Node without a
 * Calico Node (calico-node has not registered it) is not part of BGP and is left out.
 */
final class EtcdNodes implements NodeWrites, EtcdWatch.Sink, ResourceEventHandler<V1Node> {
    private static final Logger log = LoggerFactory.getLogger(EtcdNodes.class);
    private static final String OUR_PREFIX = Names.CONTROLLER_NAME + "/";
    private static final String CALICO_PREFIX = "projectcalico.org/";

    private final EtcdKv kv;
    private final SharedIndexInformer<V1Node> kubernetes;
    private final Map<String, EtcdKv.Stored> calico = new HashMap<>();
    private final Cache<V1Node> merged = new Cache<>();
    private final NodeWrites kubernetesWrites;
    private final Runnable changed;
    private volatile String reflectorLabel = "";

    /**
     * @param kubernetesWrites patches of the Kubernetes Node, for the annotations kept there
     * @param changed          called after a Kubernetes Node's change reached the joined view
     */
    EtcdNodes(EtcdKv kv, SharedIndexInformer<V1Node> kubernetes, NodeWrites kubernetesWrites, Runnable changed) {
        this.kv = kv;
        this.kubernetes = kubernetes;
        this.kubernetesWrites = kubernetesWrites;
        this.changed = changed;
        kubernetes.addEventHandler(this);
    }

    Indexer<V1Node> cache() {
        return merged;
    }

    String prefix() {
        return EtcdKeys.prefix(EtcdKeys.NODES);
    }

    synchronized void reflectorLabel(String key) {
        if (!key.equals(reflectorLabel)) {
            reflectorLabel = key;
            kubernetes.getIndexer().list().forEach(node -> remerge(node.getMetadata().getName()));
        }
    }

    /** Whether a label is ours: then the Calico Node's value counts, not the Kubernetes Node's. */
    private static boolean ours(String key, String reflectorLabel) {
        return key.startsWith(OUR_PREFIX) || key.equals(reflectorLabel);
    }

    private synchronized void remerge(String name) {
        V1Node node = kubernetes.getIndexer().getByKey(name);
        EtcdKv.Stored stored = calico.get(name);
        V1Node cached = merged.getByKey(name);
        if (node == null || stored == null) {
            if (cached != null) {
                merged.delete(cached);
            }
            return;
        }
        V1Node joined = join(node, stored, reflectorLabel);
        if (cached == null) {
            merged.add(joined);
        } else {
            merged.update(joined);
        }
    }

    /** The planner's view of one node: see the class comment. */
    static V1Node join(V1Node node, EtcdKv.Stored stored, String reflectorLabel) {
        JsonObject json = stored.json();
        JsonObject meta = object(json, "metadata");
        JsonObject bgp = object(object(json, "spec"), "bgp");
        V1ObjectMeta source = node.getMetadata();
        Map<String, String> labels = new HashMap<>();
        if (source.getLabels() != null) {
            source.getLabels().forEach((k, v) -> {
                if (!ours(k, reflectorLabel)) {
                    labels.put(k, v);
                }
            });
        }
        strings(object(meta, "labels")).forEach((k, v) -> {
            if (ours(k, reflectorLabel)) {
                labels.put(k, v);
            }
        });
        Map<String, String> annotations = new HashMap<>();
        if (source.getAnnotations() != null) {
            source.getAnnotations().forEach((k, v) -> {
                if (onKubernetesNode(k) && NodeFactsReader.ANNOTATIONS_READ.contains(k)) {
                    annotations.put(k, v);
                }
            });
        }
        strings(object(meta, "annotations")).forEach((k, v) -> {
            if (k.startsWith(OUR_PREFIX) && NodeFactsReader.ANNOTATIONS_READ.contains(k)) {
                annotations.put(k, v);
            }
        });
        putString(annotations, Names.CLUSTER_ID_ANNOTATION, bgp, "routeReflectorClusterID");
        putString(annotations, Names.IPV4_ADDRESS_ANNOTATION, bgp, "ipv4Address");
        putString(annotations, Names.IPV6_ADDRESS_ANNOTATION, bgp, "ipv6Address");
        V1ObjectMeta joinedMeta = new V1ObjectMeta().name(source.getName()).uid(source.getUid())
                .creationTimestamp(source.getCreationTimestamp()).deletionTimestamp(source.getDeletionTimestamp())
                .resourceVersion(Long.toString(stored.modRevision())).labels(labels).annotations(annotations);
        return new V1Node().apiVersion(node.getApiVersion()).kind(node.getKind()).metadata(joinedMeta)
                .spec(node.getSpec()).status(node.getStatus());
    }

    /**
     * Which annotations stay on the Kubernetes Node in etcd mode: those not ours and not Calico's
     * (e.g. an autoscaler's, which reads Kubernetes Nodes). Ours go to the Calico Node; Calico's BGP
     * fields are read from its spec.
     */
    private static boolean onKubernetesNode(String annotation) {
        return !annotation.startsWith(OUR_PREFIX) && !annotation.startsWith(CALICO_PREFIX);
    }

    /** A node patch split by where each part is kept in etcd mode. */
    record Split(JsonObject calico, JsonObject kubernetes) {
    }

    /**
     * Our node patch ({@code metadata.labels}, {@code metadata.annotations}) for the two objects:
     * the labels and our own annotations to the Calico Node, the cluster-ID annotation as its
     * {@code spec.bgp.routeReflectorClusterID}; other annotations to the Kubernetes Node. An empty
     * part means no write of that object.
     */
    static Split split(String patch) {
        JsonObject metadata = object(JsonParser.parseString(patch).getAsJsonObject(), "metadata");
        JsonObject calicoMetadata = new JsonObject();
        JsonObject calicoAnnotations = new JsonObject();
        JsonObject kubernetesAnnotations = new JsonObject();
        JsonObject bgp = new JsonObject();
        if (metadata.has("labels")) {
            calicoMetadata.add("labels", metadata.get("labels").deepCopy());
        }
        for (Map.Entry<String, JsonElement> entry : object(metadata, "annotations").entrySet()) {
            String key = entry.getKey();
            if (key.equals(Names.CLUSTER_ID_ANNOTATION)) {
                bgp.add("routeReflectorClusterID", entry.getValue().deepCopy());
            } else if (onKubernetesNode(key)) {
                kubernetesAnnotations.add(key, entry.getValue().deepCopy());
            } else {
                calicoAnnotations.add(key, entry.getValue().deepCopy());
            }
        }
        if (calicoAnnotations.size() > 0) {
            calicoMetadata.add("annotations", calicoAnnotations);
        }
        JsonObject calico = new JsonObject();
        if (calicoMetadata.size() > 0) {
            calico.add("metadata", calicoMetadata);
        }
        if (bgp.size() > 0) {
            JsonObject spec = new JsonObject();
            spec.add("bgp", bgp);
            calico.add("spec", spec);
        }
        JsonObject kubernetesPatch = new JsonObject();
        if (kubernetesAnnotations.size() > 0) {
            JsonObject kubernetesMetadata = new JsonObject();
            kubernetesMetadata.add("annotations", kubernetesAnnotations);
            kubernetesPatch.add("metadata", kubernetesMetadata);
        }
        return new Split(calico, kubernetesPatch);
    }

    /** See {@link #split}: the Calico Node first (a write conditional on its mod revision), then the Kubernetes Node. */
    @Override
    public KubernetesApiResponse<V1Node> mergePatch(String node, String patch) {
        Split split = split(patch);
        KubernetesApiResponse<V1Node> written = null;
        if (split.calico().size() > 0) {
            written = kv.update(EtcdKeys.key(EtcdKeys.NODES, node), json -> {
                JsonObject changed = EtcdValues.mergePatch(json, split.calico()).getAsJsonObject();
                changed.getAsJsonObject("metadata").remove("resourceVersion");
                return changed;
            }, (json, revision) -> {
                V1Node kubernetesNode = kubernetes.getIndexer().getByKey(node);
                return kubernetesNode == null ? null
                        : join(kubernetesNode, new EtcdKv.Stored(json, revision), reflectorLabel);
            });
            if (written.getHttpStatusCode() == 404) {
                log.debug("no Calico Node {} in etcd", node);
            }
            if (!written.isSuccess()) {
                return written;
            }
        }
        if (split.kubernetes().size() > 0) {
            KubernetesApiResponse<V1Node> patched = kubernetesWrites.mergePatch(node, split.kubernetes().toString());
            if (!patched.isSuccess()) {
                return patched;
            }
            if (written == null) {
                EtcdKv.Stored stored;
                synchronized (this) {
                    stored = calico.get(node);
                }
                written = stored == null ? EtcdKv.failure(404, "NotFound", "no Calico Node " + node)
                        : new KubernetesApiResponse<>(join(patched.getObject(), stored, reflectorLabel));
            }
        }
        if (written != null && written.isSuccess() && written.getObject() == null) {
            return EtcdKv.failure(404, "NotFound", "Kubernetes node " + node + " is gone");
        }
        return written == null ? EtcdKv.failure(422, "Invalid", "an empty node patch") : written;
    }

    @Override
    public synchronized void replace(List<KeyValue> kvs) {
        calico.clear();
        for (KeyValue value : kvs) {
            store(value);
        }
        merged.replace(List.of(), "");
        kubernetes.getIndexer().list().forEach(node -> remerge(node.getMetadata().getName()));
    }

    @Override
    public synchronized void stored(KeyValue value) {
        String name = store(value);
        if (name != null) {
            remerge(name);
        }
    }

    @Override
    public synchronized void removed(String key) {
        String name = key.substring(prefix().length());
        calico.remove(name);
        remerge(name);
    }

    /** @return the node's name, or null for a value that is not a Calico Node we can read */
    private String store(KeyValue value) {
        String key = value.getKey().toString(StandardCharsets.UTF_8);
        String name = key.substring(prefix().length());
        try {
            calico.put(name, EtcdKv.Stored.of(value));
            return name;
        } catch (RuntimeException e) {
            log.warn("{} does not hold a Calico Node we can read ({}); node {} is left out", key, e.getMessage(), name);
            calico.remove(name);
            return name;
        }
    }

    @Override
    public void onAdd(V1Node node) {
        remerge(node.getMetadata().getName());
        changed.run();
    }

    /** The controller's own watch of Kubernetes Nodes may run before this one: it is woken again. */
    @Override
    public void onUpdate(V1Node before, V1Node after) {
        remerge(after.getMetadata().getName());
        changed.run();
    }

    @Override
    public void onDelete(V1Node node, boolean stateUnknown) {
        remerge(node.getMetadata().getName());
        changed.run();
    }

    private static JsonObject object(JsonObject parent, String field) {
        JsonElement value = parent.get(field);
        return value != null && value.isJsonObject() ? value.getAsJsonObject() : new JsonObject();
    }

    private static Map<String, String> strings(JsonObject object) {
        Map<String, String> values = new HashMap<>();
        object.entrySet().forEach(e -> {
            if (e.getValue().isJsonPrimitive()) {
                values.put(e.getKey(), e.getValue().getAsString());
            }
        });
        return values;
    }

    private static void putString(Map<String, String> target, String key, JsonObject source, String field) {
        JsonElement value = source.get(field);
        if (value != null && value.isJsonPrimitive() && !(value instanceof JsonNull)) {
            target.put(key, value.getAsString());
        }
    }
}
