package dev.calicorr.routereflector.datastore;

import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
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

    private final EtcdKv kv;
    private final SharedIndexInformer<V1Node> kubernetes;
    private final Map<String, EtcdKv.Stored> calico = new HashMap<>();
    private final Cache<V1Node> merged = new Cache<>();
    private final Runnable changed;
    private volatile String reflectorLabel = "";

    /** @param changed called after a Kubernetes Node's change reached the joined view */
    EtcdNodes(EtcdKv kv, SharedIndexInformer<V1Node> kubernetes, Runnable changed) {
        this.kv = kv;
        this.kubernetes = kubernetes;
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
        Map<String, String> labels = new HashMap<>();
        if (node.getMetadata().getLabels() != null) {
            node.getMetadata().getLabels().forEach((k, v) -> {
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
        String servingSince = strings(object(meta, "annotations")).get(Names.SERVING_SINCE_ANNOTATION);
        if (servingSince != null) {
            annotations.put(Names.SERVING_SINCE_ANNOTATION, servingSince);
        }
        putString(annotations, Names.CLUSTER_ID_ANNOTATION, bgp, "routeReflectorClusterID");
        putString(annotations, Names.IPV4_ADDRESS_ANNOTATION, bgp, "ipv4Address");
        putString(annotations, Names.IPV6_ADDRESS_ANNOTATION, bgp, "ipv6Address");
        V1ObjectMeta source = node.getMetadata();
        V1ObjectMeta joinedMeta = new V1ObjectMeta().name(source.getName()).uid(source.getUid())
                .creationTimestamp(source.getCreationTimestamp()).deletionTimestamp(source.getDeletionTimestamp())
                .resourceVersion(Long.toString(stored.modRevision())).labels(labels).annotations(annotations);
        return new V1Node().apiVersion(node.getApiVersion()).kind(node.getKind()).metadata(joinedMeta)
                .spec(node.getSpec()).status(node.getStatus());
    }

    /**
     * Our node patch ({@code metadata.labels}, {@code metadata.annotations}) on the Calico Node: the
     * cluster-ID annotation becomes {@code spec.bgp.routeReflectorClusterID}, the other annotations
     * and the labels stay metadata.
     */
    @Override
    public KubernetesApiResponse<V1Node> mergePatch(String node, String patch) {
        JsonObject metadataPatch = object(JsonParser.parseString(patch).getAsJsonObject(), "metadata").deepCopy();
        JsonObject specPatch = new JsonObject();
        JsonObject annotations = object(metadataPatch, "annotations");
        if (annotations.has(Names.CLUSTER_ID_ANNOTATION)) {
            JsonObject bgp = new JsonObject();
            bgp.add("routeReflectorClusterID", annotations.remove(Names.CLUSTER_ID_ANNOTATION));
            specPatch.add("bgp", bgp);
            if (annotations.size() == 0) {
                metadataPatch.remove("annotations");
            }
        }
        JsonObject calicoPatch = new JsonObject();
        calicoPatch.add("metadata", metadataPatch);
        if (specPatch.size() > 0) {
            calicoPatch.add("spec", specPatch);
        }
        KubernetesApiResponse<V1Node> written = kv.update(EtcdKeys.key(EtcdKeys.NODES, node), json -> {
            JsonObject changed = EtcdResources.mergePatch(json, calicoPatch).getAsJsonObject();
            changed.getAsJsonObject("metadata").remove("resourceVersion");
            return changed;
        }, (json, revision) -> {
            V1Node kubernetesNode = kubernetes.getIndexer().getByKey(node);
            return kubernetesNode == null ? null : join(kubernetesNode, new EtcdKv.Stored(json, revision), reflectorLabel);
        });
        if (written.isSuccess() && written.getObject() == null) {
            return EtcdKv.failure(404, "NotFound", "Kubernetes node " + node + " is gone");
        }
        if (written.getHttpStatusCode() == 404) {
            log.debug("no Calico Node {} in etcd", node);
        }
        return written;
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
