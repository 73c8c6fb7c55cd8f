package dev.calicorr.routereflector.plan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.model.Names;
import dev.calicorr.routereflector.model.NodeFacts;
import dev.calicorr.routereflector.sim.ClusterModel;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Where {@link ClientGroups#fill} sends a client that leaves its group. */
class ClientGroupsTest {
    private static final RouteReflectorConfig CONFIG = RouteReflectorConfig.defaults();

    private static View client(String name, String group) {
        NodeFacts plain = ClusterModel.node(name, "a", true, PlannerTest.T0);
        Map<String, String> labels = new HashMap<>(plain.labels());
        labels.put(Names.GROUP_LABEL, group);
        View view = new View(new NodeFacts(name, labels, Map.of(), true, false, List.of(), plain.created()),
                CONFIG, CONFIG.clusterId(), null, Function.identity());
        view.role = Role.CLIENT;
        return view;
    }

    @Test
    void aClientLeavingItsGroupGoesToASmallestGroupThatSharesAnRrWithIt() {
        // group 4 is gone (not in this zone's groups); of the equally empty groups only 3 shares RR 4 with it
        Map<String, List<Integer>> reflectors = Map.of("1", List.of(1, 2), "2", List.of(2, 3), "3", List.of(3, 4),
                "4", List.of(4, 5));
        View leaving = client("node-a", "4");
        ClientGroups.fill(List.of(leaving), List.of("1", "2", "3"), Set.of(), reflectors, 0);
        assertThat(leaving.targetGroup).isEqualTo("3");

        // without a group that shares one, the first smallest as before; evenness comes first
        View stranger = client("node-b", "9");
        ClientGroups.fill(List.of(stranger), List.of("1", "2", "3"), Set.of(), Map.of("1", List.of(1), "2", List.of(2),
                "3", List.of(3), "9", List.of(9)), 0);
        assertThat(stranger.targetGroup).isEqualTo("1");
        View member = client("node-c", "3");
        View other = client("node-d", "4");
        ClientGroups.fill(List.of(member, other), List.of("1", "3"), Set.of(), reflectors, 0);
        assertThat(member.targetGroup).isEqualTo("3");
        assertThat(other.targetGroup).as("3 shares RR 4 but is fuller: the even split wins").isEqualTo("1");
    }
}
