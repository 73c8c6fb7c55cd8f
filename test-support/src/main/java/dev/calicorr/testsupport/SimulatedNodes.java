package dev.calicorr.testsupport;

import io.kubernetes.client.custom.V1Patch;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1Node;
import io.kubernetes.client.openapi.models.V1NodeSpec;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Taint;
import io.kubernetes.client.util.PatchUtils;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Nodes without kubelets: {@code Node} objects with the labels, Ready condition, cordon and taints
 * a kubelet and the node lifecycle controller would set. Uses the admin client.
 */
public final class SimulatedNodes {
    public static final String ZONE_LABEL = "topology.kubernetes.io/zone";
    public static final String HOSTNAME_LABEL = "kubernetes.io/hostname";

    private final CoreV1Api api;
    private final ApiClient client;

    public SimulatedNodes(ApiClient admin) {
        this.client = admin;
        this.api = new CoreV1Api(admin);
    }

    /** Starts describing a node; {@link #create(NodeBuilder)} makes it. */
    public static NodeBuilder node(String name) {
        return new NodeBuilder(name);
    }

    /** A node description; Ready and schedulable unless told otherwise. */
    public static final class NodeBuilder {
        private final String name;
        private final Map<String, String> labels = new LinkedHashMap<>();
        private final Map<String, String> annotations = new LinkedHashMap<>();
        private final List<V1Taint> taints = new ArrayList<>();
        private boolean ready = true;
        private boolean unschedulable;

        private NodeBuilder(String name) {
            this.name = name;
            labels.put(HOSTNAME_LABEL, name);
            labels.put("kubernetes.io/os", "linux");
        }

        public String name() {
            return name;
        }

        public NodeBuilder zone(String zone) {
            return label(ZONE_LABEL, zone);
        }

        public NodeBuilder label(String key, String value) {
            labels.put(key, value);
            return this;
        }

        public NodeBuilder annotation(String key, String value) {
            annotations.put(key, value);
            return this;
        }

        public NodeBuilder ready(boolean value) {
            ready = value;
            return this;
        }

        public NodeBuilder unschedulable() {
            unschedulable = true;
            return this;
        }

        public NodeBuilder taint(String key, String effect) {
            taints.add(new V1Taint().key(key).effect(effect));
            return this;
        }

        V1Node object() {
            return new V1Node().apiVersion("v1").kind("Node")
                    .metadata(new V1ObjectMeta().name(name).labels(labels)
                            .annotations(annotations.isEmpty() ? null : annotations))
                    .spec(new V1NodeSpec().unschedulable(unschedulable ? Boolean.TRUE : null)
                            .taints(taints.isEmpty() ? null : taints));
        }
    }

    /** Creates the node, then sets its Ready condition through the status subresource. */
    public V1Node create(NodeBuilder builder) {
        try {
            api.createNode(builder.object()).execute();
            return setReady(builder.name, builder.ready);
        } catch (ApiException e) {
            throw new ControlPlaneException("creating node " + builder.name + ": " + e.getCode() + " " + e.getResponseBody(), e);
        }
    }

    /** Creates {@code count} Ready nodes {@code prefix-<i>}, spread round-robin over the zones. */
    public List<String> createMany(String prefix, int from, int count, List<String> zones) {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<V1Node>> created = new ArrayList<>();
            List<String> names = new ArrayList<>();
            for (int i = from; i < from + count; i++) {
                String name = String.format("%s-%03d", prefix, i);
                String zone = zones.get(i % zones.size());
                names.add(name);
                created.add(pool.submit(() -> create(node(name).zone(zone))));
            }
            for (Future<V1Node> future : created) {
                future.get();
            }
            return names;
        } catch (Exception e) {
            throw new ControlPlaneException("creating nodes: " + e.getMessage(), e);
        } finally {
            pool.shutdown();
        }
    }

    /** Sets the Ready condition, as a kubelet (True) or the node lifecycle controller (Unknown) would. */
    public V1Node setReady(String name, boolean ready) {
        // Instant always prints its seconds; OffsetDateTime drops ":00", which the apiserver refuses
        String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        String status = ready ? "True" : "Unknown";
        String patch = "{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"" + status + "\",\"reason\":\""
                + (ready ? "KubeletReady" : "NodeStatusUnknown") + "\",\"lastHeartbeatTime\":\"" + now
                + "\",\"lastTransitionTime\":\"" + now + "\"}]}}";
        return patch(name, patch, true);
    }

    public V1Node cordon(String name, boolean cordoned) {
        return patch(name, "{\"spec\":{\"unschedulable\":" + (cordoned ? "true" : "null") + "}}", false);
    }

    public V1Node taint(String name, String key, String effect) {
        return patch(name, "{\"spec\":{\"taints\":[{\"key\":\"" + key + "\",\"effect\":\"" + effect + "\"}]}}", false);
    }

    public V1Node label(String name, String key, String value) {
        return patch(name, "{\"metadata\":{\"labels\":{\"" + key + "\":" + (value == null ? "null" : "\"" + value + "\"")
                + "}}}", false);
    }

    public V1Node annotate(String name, String key, String value) {
        return patch(name, "{\"metadata\":{\"annotations\":{\"" + key + "\":"
                + (value == null ? "null" : "\"" + value + "\"") + "}}}", false);
    }

    public void delete(String name) {
        try {
            api.deleteNode(name).execute();
        } catch (ApiException e) {
            throw new ControlPlaneException("deleting node " + name + ": " + e.getCode() + " " + e.getResponseBody(), e);
        }
    }

    public V1Node get(String name) {
        try {
            return api.readNode(name).execute();
        } catch (ApiException e) {
            throw new ControlPlaneException("reading node " + name + ": " + e.getCode(), e);
        }
    }

    public List<V1Node> list() {
        try {
            return api.listNode().execute().getItems();
        } catch (ApiException e) {
            throw new ControlPlaneException("listing nodes: " + e.getCode(), e);
        }
    }

    private V1Node patch(String name, String body, boolean status) {
        try {
            return PatchUtils.patch(V1Node.class,
                    () -> status ? api.patchNodeStatus(name, new V1Patch(body)).buildCall(null)
                            : api.patchNode(name, new V1Patch(body)).buildCall(null),
                    V1Patch.PATCH_FORMAT_STRATEGIC_MERGE_PATCH, client);
        } catch (ApiException e) {
            throw new ControlPlaneException("patching node " + name + ": " + e.getCode() + " " + e.getResponseBody(), e);
        }
    }
}
