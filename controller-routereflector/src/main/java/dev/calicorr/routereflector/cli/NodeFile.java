package dev.calicorr.routereflector.cli;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.calicorr.routereflector.kube.BgpPeer;
import dev.calicorr.routereflector.kube.LiveCluster;
import dev.calicorr.routereflector.kube.NodeFactsReader;
import dev.calicorr.routereflector.model.ClusterSnapshot;
import dev.calicorr.routereflector.model.NodeFacts;
import io.kubernetes.client.openapi.models.V1Node;
import io.kubernetes.client.openapi.models.V1NodeCondition;
import io.kubernetes.client.openapi.models.V1NodeSpec;
import io.kubernetes.client.openapi.models.V1NodeStatus;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Taint;
import java.io.IOException;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Nodes (and optionally BGPPeers) from a YAML or JSON file: what {@code kubectl get nodes -o yaml}
 * or {@code kubectl get nodes,bgppeers -o json} prints (a {@code List} or {@code NodeList}), a
 * plain list of Node objects, one object, or several YAML documents. Only the fields the planner
 * reads are taken (fields this client does not know are ignored), then read exactly as the
 * controller reads nodes ({@link NodeFactsReader}). Of the BGPPeers only ours count, as for the
 * controller; others are reported.
 */
public final class NodeFile {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private NodeFile() {
    }

    /**
     * @param notes what the user should know about the file (peers not ours, nodes without a Ready condition)
     */
    public record Contents(ClusterSnapshot snapshot, List<String> notes) {
        public Contents {
            notes = List.copyOf(notes);
        }
    }

    /**
     * @param text  the file's content
     * @param where how to name the file in messages
     * @throws PlanInputException naming the file and, where it can, the item and field at fault
     */
    public static Contents parse(String text, String where) throws PlanInputException {
        List<Object> documents = new ArrayList<>();
        try (MappingIterator<Object> docs = YAML.readerFor(Object.class).readValues(text)) {
            while (docs.hasNextValue()) {
                Object doc = docs.nextValue();
                if (doc != null) {
                    documents.add(doc);
                }
            }
        } catch (JacksonException e) {
            throw new PlanInputException(where + " is not valid YAML or JSON: "
                    + e.getOriginalMessage().replaceAll("\\s+", " ")
                    + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")"));
        } catch (IOException e) {
            throw new PlanInputException("cannot read " + where + ": " + e.getMessage(), e);
        }
        List<Map<?, ?>> items = new ArrayList<>();
        List<String> defaultKinds = new ArrayList<>();
        for (Object doc : documents) {
            collect(doc, "Node", items, defaultKinds, where);
        }
        List<V1Node> nodes = new ArrayList<>();
        List<BgpPeer> peers = new ArrayList<>();
        Set<String> names = new HashSet<>();
        int withoutReady = 0;
        for (int i = 0; i < items.size(); i++) {
            Map<?, ?> item = items.get(i);
            Object kindValue = item.get("kind");
            String kind = kindValue == null ? defaultKinds.get(i) : String.valueOf(kindValue);
            String at = where + ", item " + (i + 1);
            Map<?, ?> metadata = map(item.get("metadata"), at, "metadata");
            String name = string(metadata.get("name"), at, "metadata.name");
            if (name == null || name.isBlank()) {
                throw new PlanInputException(at + ": a " + kind + " without metadata.name");
            }
            at = where + ", " + kind + " " + name;
            switch (kind) {
                case "Node" -> {
                    if (!names.add(name)) {
                        throw new PlanInputException(at + " is listed twice");
                    }
                    V1Node node = node(item, metadata, name, at);
                    if (node.getStatus() == null || node.getStatus().getConditions() == null) {
                        withoutReady++;
                    }
                    nodes.add(node);
                }
                case "BGPPeer" -> peers.add(peer(item, metadata, name, at));
                default -> throw new PlanInputException(at + ": kind " + kind + " is neither a Node nor a BGPPeer "
                        + "(use kubectl get nodes,bgppeers -o yaml)");
            }
        }
        if (nodes.isEmpty()) {
            throw new PlanInputException(where + " holds no Node (expected the output of kubectl get nodes -o yaml)");
        }
        List<String> notes = new ArrayList<>();
        if (withoutReady > 0) {
            notes.add(withoutReady + " node(s) in " + where + " have no Ready condition: they count as NotReady");
        }
        var owned = LiveCluster.owned(peers);
        if (owned.size() < peers.size()) {
            notes.add((peers.size() - owned.size()) + " BGPPeer(s) in " + where
                    + " are not managed by calico-rr-controller: left out, as the controller leaves them alone");
        }
        return new Contents(new ClusterSnapshot(nodes.stream().map(NodeFactsReader::read).toList(), owned), notes);
    }

    private static void collect(Object doc, String defaultKind, List<Map<?, ?>> items, List<String> kinds,
            String where) throws PlanInputException {
        if (doc instanceof List<?> list) {
            for (Object element : list) {
                collect(element, defaultKind, items, kinds, where);
            }
        } else if (doc instanceof Map<?, ?> map && map.get("items") instanceof List<?> list) {
            String kind = String.valueOf(map.get("kind"));
            String itemKind = kind.endsWith("List") && kind.length() > 4 && !kind.equals("List")
                    ? kind.substring(0, kind.length() - 4) : defaultKind;
            for (Object element : list) {
                if (!(element instanceof Map<?, ?> item)) {
                    throw new PlanInputException(where + ": an item of a " + kind + " is not an object");
                }
                items.add(item);
                kinds.add(itemKind);
            }
        } else if (doc instanceof Map<?, ?> map) {
            items.add(map);
            kinds.add(defaultKind);
        } else {
            throw new PlanInputException(where + " must hold Kubernetes objects (kubectl get nodes -o yaml), not '"
                    + doc + "'");
        }
    }

    /** The fields {@link NodeFactsReader#read} uses, and nothing else. */
    private static V1Node node(Map<?, ?> item, Map<?, ?> metadata, String name, String at) throws PlanInputException {
        V1ObjectMeta meta = new V1ObjectMeta().name(name)
                .labels(stringMap(metadata.get("labels"), at, "metadata.labels"))
                .annotations(stringMap(metadata.get("annotations"), at, "metadata.annotations"));
        String created = string(metadata.get("creationTimestamp"), at, "metadata.creationTimestamp");
        if (created != null) {
            try {
                meta.creationTimestamp(OffsetDateTime.parse(created));
            } catch (DateTimeParseException e) {
                throw new PlanInputException(at + ": metadata.creationTimestamp '" + created + "' is not a timestamp");
            }
        }
        V1Node node = new V1Node().apiVersion("v1").kind("Node").metadata(meta);
        Map<?, ?> spec = map(item.get("spec"), at, "spec");
        V1NodeSpec nodeSpec = new V1NodeSpec();
        Object unschedulable = spec.get("unschedulable");
        if (unschedulable != null && !(unschedulable instanceof Boolean)) {
            throw new PlanInputException(at + ": spec.unschedulable must be true or false");
        }
        nodeSpec.unschedulable((Boolean) unschedulable);
        for (Map<?, ?> taint : maps(spec.get("taints"), at, "spec.taints")) {
            nodeSpec.addTaintsItem(new V1Taint().key(string(taint.get("key"), at, "spec.taints[].key"))
                    .effect(string(taint.get("effect"), at, "spec.taints[].effect")));
        }
        node.spec(nodeSpec);
        Map<?, ?> status = map(item.get("status"), at, "status");
        if (status.containsKey("conditions")) {
            V1NodeStatus nodeStatus = new V1NodeStatus().conditions(new ArrayList<>());
            for (Map<?, ?> condition : maps(status.get("conditions"), at, "status.conditions")) {
                nodeStatus.addConditionsItem(new V1NodeCondition()
                        .type(string(condition.get("type"), at, "status.conditions[].type"))
                        .status(string(condition.get("status"), at, "status.conditions[].status")));
            }
            node.status(nodeStatus);
        }
        return node;
    }

    private static BgpPeer peer(Map<?, ?> item, Map<?, ?> metadata, String name, String at) throws PlanInputException {
        Map<?, ?> spec = map(item.get("spec"), at, "spec");
        return new BgpPeer(new V1ObjectMeta().name(name).labels(stringMap(metadata.get("labels"), at, "metadata.labels")),
                new BgpPeer.Spec(string(spec.get("nodeSelector"), at, "spec.nodeSelector"),
                        string(spec.get("peerSelector"), at, "spec.peerSelector")));
    }

    private static Map<?, ?> map(Object value, String at, String field) throws PlanInputException {
        if (value == null) {
            return Map.of();
        }
        if (value instanceof Map<?, ?> map) {
            return map;
        }
        throw new PlanInputException(at + ": " + field + " must be an object");
    }

    private static List<Map<?, ?>> maps(Object value, String at, String field) throws PlanInputException {
        if (value == null) {
            return List.of();
        }
        List<Map<?, ?>> maps = new ArrayList<>();
        if (value instanceof List<?> list) {
            for (Object element : list) {
                if (!(element instanceof Map<?, ?> map)) {
                    throw new PlanInputException(at + ": " + field + " must be a list of objects");
                }
                maps.add(map);
            }
            return maps;
        }
        throw new PlanInputException(at + ": " + field + " must be a list");
    }

    private static String string(Object value, String at, String field) throws PlanInputException {
        if (value == null || value instanceof String) {
            return (String) value;
        }
        if (value instanceof Number || value instanceof Boolean) {
            return String.valueOf(value); // an unquoted label value such as 'true' or '3' in hand-written YAML
        }
        throw new PlanInputException(at + ": " + field + " must be a string");
    }

    private static Map<String, String> stringMap(Object value, String at, String field) throws PlanInputException {
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> entry : map(value, at, field).entrySet()) {
            String text = string(entry.getValue(), at, field + "." + entry.getKey());
            out.put(String.valueOf(entry.getKey()), text == null ? "" : text);
        }
        return out;
    }
}
