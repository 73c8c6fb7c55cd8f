package dev.calicorr.routereflector.kube;

import dev.calicorr.routereflector.model.NodeFacts;
import io.kubernetes.client.openapi.models.V1Node;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The facts of the informer's nodes, read once per node object: the informer replaces a node's
 * object on every change, so an object seen before has the facts read then. At 100,000 nodes this
 * saves a copy of every node's labels on every reconcile. Not thread-safe: one reconciler owns it.
 */
public final class NodeFactsCache {
    private record Read(V1Node source, NodeFacts facts) {
    }

    private final Map<String, Read> byName = new HashMap<>();

    /** The facts of {@code nodes}, in their order. */
    public List<NodeFacts> facts(List<V1Node> nodes) {
        List<NodeFacts> facts = new ArrayList<>(nodes.size());
        for (V1Node node : nodes) {
            String name = node.getMetadata().getName();
            Read read = byName.get(name);
            if (read == null || read.source() != node) {
                read = new Read(node, NodeFactsReader.read(node));
                byName.put(name, read);
            }
            facts.add(read.facts());
        }
        if (byName.size() > nodes.size()) { // nodes were deleted: forget them
            Set<String> present = new HashSet<>();
            nodes.forEach(node -> present.add(node.getMetadata().getName()));
            byName.keySet().retainAll(present);
        }
        return facts;
    }
}
