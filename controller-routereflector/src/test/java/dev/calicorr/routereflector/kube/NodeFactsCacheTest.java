package dev.calicorr.routereflector.kube;

import static org.assertj.core.api.Assertions.assertThat;

import dev.calicorr.routereflector.model.NodeFacts;
import io.kubernetes.client.openapi.models.V1Node;
import io.kubernetes.client.openapi.models.V1NodeCondition;
import io.kubernetes.client.openapi.models.V1NodeStatus;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NodeFactsCacheTest {
    private static V1Node node(String name, String zone) {
        return new V1Node().metadata(new V1ObjectMeta().name(name).labels(Map.of("topology.kubernetes.io/zone", zone)))
                .status(new V1NodeStatus().addConditionsItem(new V1NodeCondition().type("Ready").status("True")));
    }

    @Test
    void anUnchangedNodeObjectKeepsItsFactsAndAReplacedOneIsReadAgain() {
        NodeFactsCache cache = new NodeFactsCache();
        V1Node a = node("a", "z1");
        List<NodeFacts> first = cache.facts(List.of(a, node("b", "z1")));
        assertThat(first).extracting(NodeFacts::name).containsExactly("a", "b");

        V1Node bMoved = node("b", "z2"); // the informer's new object after an update
        List<NodeFacts> second = cache.facts(List.of(a, bMoved));
        assertThat(second.get(0)).isSameAs(first.get(0));
        assertThat(second.get(1).labels()).containsEntry("topology.kubernetes.io/zone", "z2");
        assertThat(second.get(1).ready()).isTrue();
    }
}
