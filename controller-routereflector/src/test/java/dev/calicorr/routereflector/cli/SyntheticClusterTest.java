package dev.calicorr.routereflector.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.model.NodeFacts;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SyntheticClusterTest {
    private static final String ZONE = RouteReflectorConfig.DEFAULT_ZONE_LABEL;

    @Test
    void aSpecNamesNodesAndOptionallyZonesRacksAndSeed() {
        assertThat(SyntheticCluster.Spec.parse("nodes=5000,zones=3"))
                .isEqualTo(new SyntheticCluster.Spec(5000, 3, 0, SyntheticCluster.DEFAULT_SEED));
        assertThat(SyntheticCluster.Spec.parse(" nodes = 10 ")).isEqualTo(new SyntheticCluster.Spec(10, 1, 0,
                SyntheticCluster.DEFAULT_SEED));
        assertThat(SyntheticCluster.Spec.parse("racks=4,seed=7,zones=2,nodes=100"))
                .isEqualTo(new SyntheticCluster.Spec(100, 2, 4, 7));
        assertThat(SyntheticCluster.Spec.parse("nodes=100,zones=2,racks=4,seed=7")).hasToString(
                "nodes=100,zones=2,racks=4,seed=7");
        assertThat(SyntheticCluster.Spec.parse("nodes=100,zones=1")).hasToString("nodes=100,zones=1");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "zones=3|nodes=N is required",
        "nodes=10,pods=3|'pods=3' is not one of nodes=N",
        "nodes=10,zones|'zones' is not one of",
        "nodes=ten|nodes must be a whole number, got 'ten'",
        "nodes=0|nodes must be from 1 to 1000000, got 0",
        "nodes=10,zones=27|zones must be from 1 to 26, got 27",
        "nodes=10,racks=-1|racks must be from 0 to 1000, got -1",
        "nodes=10,nodes=20|nodes is given twice",
        "nodes=99999999999|nodes is out of range"})
    void aBadSpecSaysWhatIsWrong(String spec, String message) {
        assertThatThrownBy(() -> SyntheticCluster.Spec.parse(spec)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message);
    }

    @Test
    void theSameSpecGivesTheSameNodesAndAnotherSeedOthers() {
        SyntheticCluster.Spec spec = SyntheticCluster.Spec.parse("nodes=500,zones=3");
        List<NodeFacts> first = SyntheticCluster.nodes(spec);

        assertThat(SyntheticCluster.nodes(spec)).isEqualTo(first);
        assertThat(SyntheticCluster.nodes(SyntheticCluster.Spec.parse("nodes=500,zones=3,seed=1")))
                .isNotEqualTo(first)
                .extracting(NodeFacts::name).isEqualTo(first.stream().map(NodeFacts::name).toList());
    }

    @Test
    void nodesAreReadyUntaintedUniqueAndSpreadOverTheZonesBeforeNow() {
        List<NodeFacts> nodes = SyntheticCluster.nodes(SyntheticCluster.Spec.parse("nodes=3000,zones=3"));

        assertThat(nodes).hasSize(3000).allMatch(NodeFacts::ready).noneMatch(NodeFacts::unschedulable)
                .allMatch(n -> n.taints().isEmpty()).allMatch(n -> n.created().isBefore(SyntheticCluster.NOW));
        assertThat(nodes).extracting(NodeFacts::name).doesNotHaveDuplicates();
        assertThat(nodes).allMatch(n -> n.labels().get(RouteReflectorConfig.DEFAULT_HOSTNAME_LABEL).equals(n.name()));
        Map<String, Long> perZone = nodes.stream().collect(Collectors.groupingBy(n -> n.labels().get(ZONE),
                Collectors.counting()));
        assertThat(perZone).containsOnlyKeys("zone-a", "zone-b", "zone-c")
                .allSatisfy((zone, count) -> assertThat(count).isBetween(900L, 1100L));
        assertThat(nodes).noneMatch(n -> n.labels().containsKey(RouteReflectorConfig.DEFAULT_RACK_LABEL));
    }

    @Test
    void racksAreCountedPerZoneAndFilledInTurn() {
        List<NodeFacts> nodes = SyntheticCluster.nodes(SyntheticCluster.Spec.parse("nodes=1000,zones=2,racks=4"),
                "example.com/zone", "example.com/rack");

        assertThat(nodes).noneMatch(n -> n.labels().containsKey(ZONE));
        Map<String, Map<String, Long>> racks = nodes.stream().collect(Collectors.groupingBy(
                n -> n.labels().get("example.com/zone"),
                Collectors.groupingBy(n -> n.labels().get("example.com/rack"), Collectors.counting())));
        assertThat(racks.get("zone-a")).containsOnlyKeys("zone-a-rack-1", "zone-a-rack-2", "zone-a-rack-3",
                "zone-a-rack-4");
        assertThat(racks.get("zone-b")).containsOnlyKeys("zone-b-rack-1", "zone-b-rack-2", "zone-b-rack-3",
                "zone-b-rack-4");
        racks.values().forEach(zone -> assertThat(zone.values().stream().mapToLong(Long::longValue).max().getAsLong()
                - zone.values().stream().mapToLong(Long::longValue).min().getAsLong()).isLessThanOrEqualTo(1));
    }
}
