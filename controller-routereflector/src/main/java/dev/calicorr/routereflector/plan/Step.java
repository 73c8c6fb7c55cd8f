package dev.calicorr.routereflector.plan;

import dev.calicorr.routereflector.model.PeerFacts;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/** One API write of a plan. The applier executes a plan's steps in order; every prefix is safe. */
public sealed interface Step {

    String reason();

    /**
     * A JSON merge patch of a node's labels and annotations we manage; a null value removes the key.
     */
    record PatchNode(String node, Map<String, String> labels, Map<String, String> annotations, String reason)
            implements Step {
        public PatchNode {
            Objects.requireNonNull(node, "node");
            labels = frozen(labels);
            annotations = frozen(annotations);
        }

        /** An unmodifiable copy that keeps null values (removals) and the order; plans make many of these. */
        private static Map<String, String> frozen(Map<String, String> map) {
            if (map.isEmpty()) {
                return Map.of();
            }
            if (map.size() == 1) {
                Map.Entry<String, String> only = map.entrySet().iterator().next();
                return Collections.singletonMap(only.getKey(), only.getValue());
            }
            return Collections.unmodifiableMap(new LinkedHashMap<>(map));
        }

        @Override
        public String toString() {
            return "patch node " + node + " labels=" + labels + " annotations=" + annotations + " reason=" + reason;
        }
    }

    record CreatePeer(PeerFacts peer, String reason) implements Step {
        @Override
        public String toString() {
            return "create BGPPeer " + peer.name() + " nodeSelector=\"" + peer.nodeSelector() + "\" peerSelector=\""
                    + peer.peerSelector() + "\" reason=" + reason;
        }
    }

    record UpdatePeer(PeerFacts peer, String reason) implements Step {
        @Override
        public String toString() {
            return "update BGPPeer " + peer.name() + " nodeSelector=\"" + peer.nodeSelector() + "\" peerSelector=\""
                    + peer.peerSelector() + "\" reason=" + reason;
        }
    }

    record DeletePeer(String name, String reason) implements Step {
        @Override
        public String toString() {
            return "delete BGPPeer " + name + " reason=" + reason;
        }
    }
}
