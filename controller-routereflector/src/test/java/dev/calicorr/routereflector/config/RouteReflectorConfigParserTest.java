package dev.calicorr.routereflector.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.calicorr.core.config.InvalidConfigException;
import dev.calicorr.core.plugin.ParsedConfig;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RouteReflectorConfigParserTest {

    private static ParsedConfig<RouteReflectorConfig> parse(Map<String, Object> section, Map<String, String> env)
            throws InvalidConfigException {
        return RouteReflectorConfigParser.parse(section, env);
    }

    @Test
    void absentSectionGivesTheDesignDefaults() throws Exception {
        RouteReflectorConfig config = parse(null, Map.of()).config();
        assertThat(config).isEqualTo(RouteReflectorConfig.defaults());
        assertThat(config.min()).isEqualTo(3);
        assertThat(config.max()).isEqualTo(10);
        assertThat(config.ratio()).isEqualTo(0.005);
        assertThat(config.zoneLabel()).isEqualTo("topology.kubernetes.io/zone");
        assertThat(config.topologyType()).isEqualTo(TopologyType.MULTI);
        assertThat(config.routeReflectorsPerNode()).isEqualTo(3);
        assertThat(config.clusterId().sharedId()).isEqualTo("224.0.0.0");
        assertThat(config.routeReflectorLabelKey()).isEqualTo("calico-route-reflector");
        assertThat(config.routeReflectorLabelValue()).isEmpty();
        assertThat(config.removalDelay()).isEqualTo(Duration.ofSeconds(60));
        assertThat(config.reconcilerPeriod()).isEqualTo(Duration.ofMinutes(5));
        assertThat(config.manageNodeToNodeMesh()).isFalse();
        assertThat(config.sessionStuckAfter()).isEqualTo(Duration.ofMinutes(3));
        assertThat(config.sessionSettleDelay()).isEqualTo(Duration.ofSeconds(45));
    }

    @Test
    void everyFieldIsRead() throws Exception {
        Map<String, Object> section = new HashMap<>();
        section.put("min", 2.0);
        section.put("max", 20.0);
        section.put("ratio", 0.5);
        section.put("zoneLabel", "example.com/rack");
        section.put("topologyType", "single");
        section.put("routeReflectorsPerNode", 2.0);
        section.put("clusterId", "10.0.0.0");
        section.put("routeReflectorLabelKey", "example.com/rr");
        section.put("routeReflectorLabelValue", "yes");
        section.put("hostnameLabel", "example.com/host");
        section.put("nodeSelector", "rr-pool == 'true'");
        section.put("incompatibleLabels", "dedicated=gpu, spot");
        section.put("preferredLabels", "rr-candidate");
        section.put("tolerations", List.of("example.com/maintenance"));
        section.put("removalDelay", "2m");
        section.put("reconcilerPeriod", "30s");
        section.put("adoptLegacyPeers", true);
        section.put("manageNodeToNodeMesh", true);
        section.put("sessionStuckAfter", "90s");
        section.put("sessionSettleDelay", "20s");
        section.put("maxStepsPerReconcile", 200);
        ParsedConfig<RouteReflectorConfig> parsed = parse(section, Map.of());
        RouteReflectorConfig config = parsed.config();
        assertThat(config.min()).isEqualTo(2);
        assertThat(config.max()).isEqualTo(20);
        assertThat(config.ratio()).isEqualTo(0.5);
        assertThat(config.zoneLabel()).isEqualTo("example.com/rack");
        assertThat(config.topologyType()).isEqualTo(TopologyType.SINGLE);
        assertThat(config.routeReflectorsPerNode()).isEqualTo(2);
        assertThat(config.clusterId().sharedId()).isEqualTo("10.0.0.0");
        assertThat(config.routeReflectorLabelKey()).isEqualTo("example.com/rr");
        assertThat(config.routeReflectorLabelValue()).isEqualTo("yes");
        assertThat(config.hostnameLabel()).isEqualTo("example.com/host");
        assertThat(config.nodeSelector().matches(Map.of("rr-pool", "true"))).isTrue();
        assertThat(config.nodeSelector().matches(Map.of("rr-pool", "false"))).isFalse();
        assertThat(config.incompatibleLabels()).containsExactly(
                new LabelMatch("dedicated", Optional.of("gpu")), new LabelMatch("spot", Optional.empty()));
        assertThat(config.preferredLabels()).containsExactly(new LabelMatch("rr-candidate", Optional.empty()));
        assertThat(config.tolerations()).containsExactly("example.com/maintenance");
        assertThat(config.removalDelay()).isEqualTo(Duration.ofMinutes(2));
        assertThat(config.reconcilerPeriod()).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.adoptLegacyPeers()).isTrue();
        assertThat(config.manageNodeToNodeMesh()).isTrue();
        assertThat(config.sessionStuckAfter()).isEqualTo(Duration.ofSeconds(90));
        assertThat(config.sessionSettleDelay()).isEqualTo(Duration.ofSeconds(20));
        assertThat(config.maxStepsPerReconcile()).isEqualTo(200);
        assertThat(parsed.effective()).containsEntry("manageNodeToNodeMesh", true).containsEntry("maxStepsPerReconcile", 200)
                .containsEntry("sessionStuckAfter", "1m30s").containsEntry("sessionSettleDelay", "20s");
        assertThat(parsed.effective()).containsEntry("topologyType", "single").containsEntry("removalDelay", "2m")
                .containsEntry("incompatibleLabels", "dedicated=gpu,spot").containsEntry("nodeSelector",
                        config.nodeSelector().toString());
        assertThat(parsed.environmentUsed()).isEmpty();
    }

    @Test
    void environmentOverridesFieldByFieldAndIsReported() throws Exception {
        Map<String, Object> section = Map.of("min", 3.0, "max", 6.0, "ratio", 0.1, "topologyType", "single");
        Map<String, String> env = Map.of("ROUTE_REFLECTOR_MAX", "12", "ROUTE_REFLECTOR_TOPOLOGY", "multi",
                "ROUTE_REFLECTOR_NODE_LABEL", "example.com/rr=on", "ROUTE_REFLECTOR_ZONE_LABEL", "",
                "RECONCILER_PERIOD", "1m", "UNRELATED", "x");
        ParsedConfig<RouteReflectorConfig> parsed = parse(section, env);
        RouteReflectorConfig config = parsed.config();
        assertThat(config.min()).isEqualTo(3);
        assertThat(config.max()).isEqualTo(12);
        assertThat(config.ratio()).isEqualTo(0.1);
        assertThat(config.topologyType()).isEqualTo(TopologyType.MULTI);
        assertThat(config.routeReflectorLabelKey()).isEqualTo("example.com/rr");
        assertThat(config.routeReflectorLabelValue()).isEqualTo("on");
        assertThat(config.zoneLabel()).isEmpty();
        assertThat(config.reconcilerPeriod()).isEqualTo(Duration.ofMinutes(1));
        assertThat(parsed.environmentUsed()).containsOnlyKeys("ROUTE_REFLECTOR_MAX", "ROUTE_REFLECTOR_TOPOLOGY",
                "ROUTE_REFLECTOR_NODE_LABEL", "ROUTE_REFLECTOR_ZONE_LABEL", "RECONCILER_PERIOD");
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "min=5,max=4                       | spec.controllers.routereflector.min: min 5 is greater than max 4",
        "min=0                             | spec.controllers.routereflector.min: must be at least 1",
        "ratio=2                           | spec.controllers.routereflector.ratio: must be between 0.001 and 1.0",
        "ratio=0.0001                      | spec.controllers.routereflector.ratio: must be between",
        "topologyType=ring                 | spec.controllers.routereflector.topologyType: 'ring' is not a topology",
        "clusterId=224.0.0.256             | spec.controllers.routereflector.clusterId: '224.0.0.256' is not an IPv4",
        "clusterId=224.0.0.1               | spec.controllers.routereflector.clusterId: '224.0.0.1' leaves room for 0",
        "incompatibleLabels=a=b=c          | spec.controllers.routereflector.incompatibleLabels: 'a=b=c': write key or key=value",
        "incompatibleLabels=-bad           | spec.controllers.routereflector.incompatibleLabels: '-bad'",
        "preferredLabels==v                | spec.controllers.routereflector.preferredLabels: a label key must not be empty",
        "nodeSelector=rr-pool ==           | spec.controllers.routereflector.nodeSelector:",
        "routeReflectorLabelKey=bad key    | spec.controllers.routereflector.routeReflectorLabelKey: 'bad key'",
        "removalDelay=soon                 | spec.controllers.routereflector.removalDelay: 'soon' is not a duration",
        "reconcilerPeriod=10ms             | spec.controllers.routereflector.reconcilerPeriod: must be at least 1s",
        "sessionStuckAfter=500ms           | spec.controllers.routereflector.sessionStuckAfter: must be at least 1s",
        "sessionSettleDelay=-1s            | spec.controllers.routereflector.sessionSettleDelay: '-1s' is not a duration",
        "sessionSettleDelay=1h             | spec.controllers.routereflector.sessionSettleDelay: must be between 0s and 30m, got 1h",
        "sessionSettleDelay=later          | spec.controllers.routereflector.sessionSettleDelay: 'later' is not a duration",
        "manageNodeToNodeMesh=yes          | spec.controllers.routereflector.manageNodeToNodeMesh:",
        "routeReflectorsPerNode=0          | spec.controllers.routereflector.routeReflectorsPerNode: must be at least 1",
        "maxStepsPerReconcile=0            | spec.controllers.routereflector.maxStepsPerReconcile: must be at least 1, got 0",
        "maxStepsPerReconcile=2.5          | spec.controllers.routereflector.maxStepsPerReconcile:",
        "mni=3                             | spec.controllers.routereflector.mni: unknown field",
        "topologyType=quorum,min=4,max=5   | spec.controllers.routereflector.max: quorum needs a multiple of 3",
        "topologyType=hierarchy,rackLabel=a b | spec.controllers.routereflector.rackLabel: 'a b'",
        "calculation=log                   | spec.controllers.routereflector.calculation: 'log' is not a calculation",
        "calculation=stepping              | spec.controllers.routereflector.steps: calculation: stepping needs steps",
    })
    void badValuesAreRejectedNamingTheField(String assignments, String message) {
        Map<String, Object> section = new HashMap<>();
        for (String assignment : assignments.split(",(?=[a-zA-Z]+=)")) {
            int eq = assignment.indexOf('=');
            String key = assignment.substring(0, eq).trim();
            String value = assignment.substring(eq + 1).trim();
            Object typed = Set.of("min", "max", "ratio", "routeReflectorsPerNode", "maxStepsPerReconcile", "mni").contains(key)
                    ? (Object) Double.parseDouble(value) : value;
            section.put(key, typed);
        }
        assertThatThrownBy(() -> parse(section, Map.of()))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageStartingWith(message);
    }

    @Test
    void steppingStepsAreReadAndMustRiseAndStayWithinMax() throws Exception {
        Map<String, Object> good = Map.of("calculation", "stepping", "max", 8.0, "steps", List.of(
                Map.of("nodes", 0.0, "reflectors", 3.0), Map.of("nodes", 100.0, "reflectors", 5.0),
                Map.of("nodes", 1000.0, "reflectors", 8.0)));
        ParsedConfig<RouteReflectorConfig> parsed = parse(good, Map.of());
        assertThat(parsed.config().steps()).containsExactly(new ReflectorCount.Step(0, 3),
                new ReflectorCount.Step(100, 5), new ReflectorCount.Step(1000, 8));
        assertThat(parsed.config().calculation().wanted(150)).isEqualTo(5);
        assertThat(parsed.effective()).containsEntry("calculation", "stepping").containsKey("steps");
        // what is written back to runningConfig parses to the same configuration
        assertThat(parse(parsed.effective(), Map.of()).config()).isEqualTo(parsed.config());

        assertThatThrownBy(() -> parse(Map.of("calculation", "stepping", "steps", List.of(
                Map.of("nodes", 100.0, "reflectors", 3.0), Map.of("nodes", 50.0, "reflectors", 4.0))), Map.of()))
                .hasMessageStartingWith("spec.controllers.routereflector.steps[1].nodes: steps must rise");
        assertThatThrownBy(() -> parse(Map.of("calculation", "stepping", "steps", List.of(
                Map.of("nodes", 0.0, "reflectors", 5.0), Map.of("nodes", 50.0, "reflectors", 4.0))), Map.of()))
                .hasMessageStartingWith("spec.controllers.routereflector.steps[1].reflectors: steps must not fall");
        assertThatThrownBy(() -> parse(Map.of("calculation", "stepping", "steps", List.of(
                Map.of("nodes", 0.0, "reflectors", 30.0))), Map.of()))
                .hasMessageStartingWith("spec.controllers.routereflector.steps[0].reflectors: 30 is above max 10");
        assertThatThrownBy(() -> parse(Map.of("steps", List.of(Map.of("nodes", 0.0, "reflectors", 3.0))), Map.of()))
                .hasMessageStartingWith("spec.controllers.routereflector.steps: steps are only read with calculation: stepping");
        assertThatThrownBy(() -> parse(Map.of("calculation", "stepping", "steps", List.of(
                Map.of("nodes", 0.0, "count", 3.0))), Map.of()))
                .hasMessageStartingWith("spec.controllers.routereflector.steps[0].count: unknown field");
    }

    @Test
    void quorumAndHierarchyFieldsAreRead() throws Exception {
        RouteReflectorConfig quorum = parse(Map.of("topologyType", "quorum", "max", 9.0), Map.of()).config();
        assertThat(quorum.topologyType()).isEqualTo(TopologyType.QUORUM);
        RouteReflectorConfig hierarchy = parse(Map.of("topologyType", "hierarchy", "rackLabel", "example.com/rack",
                "reflectorsPerRack", 3.0), Map.of()).config();
        assertThat(hierarchy.topologyType()).isEqualTo(TopologyType.HIERARCHY);
        assertThat(hierarchy.rackLabel()).isEqualTo("example.com/rack");
        assertThat(hierarchy.reflectorsPerRack()).isEqualTo(3);
    }

    @Test
    void aBadEnvironmentValueNamesTheVariable() {
        assertThatThrownBy(() -> parse(Map.of(), Map.of("ROUTE_REFLECTOR_RATIO", "lots")))
                .hasMessageStartingWith("ROUTE_REFLECTOR_RATIO: 'lots' is not a number");
        assertThatThrownBy(() -> parse(Map.of("max", 5.0), Map.of("ROUTE_REFLECTOR_MIN", "9")))
                .hasMessageStartingWith("ROUTE_REFLECTOR_MIN: min 9 is greater than max 5");
        assertThatThrownBy(() -> parse(Map.of(), Map.of("ROUTE_REFLECTOR_TOPOLOGY", "mesh")))
                .hasMessageStartingWith("ROUTE_REFLECTOR_TOPOLOGY: 'mesh' is not a topology");
    }

    @Test
    void aWrongTypeNamesTheField() {
        assertThatThrownBy(() -> parse(Map.of("min", "three"), Map.of()))
                .hasMessageStartingWith("spec.controllers.routereflector.min: must be a whole number");
        assertThatThrownBy(() -> parse(Map.of("tolerations", "a,b"), Map.of()))
                .hasMessageStartingWith("spec.controllers.routereflector.tolerations: must be a list of strings");
    }

    @ParameterizedTest
    @CsvSource({"224.0.0.0,1,224.0.0.1", "224.0.0.0,256,224.0.1.0", "10.1.0.0,7,10.1.0.7"})
    void multiClusterIdsFillTheZeroOctetsWithTheIndex(String template, int index, String expected) {
        ClusterIdTemplate parsed = ClusterIdTemplate.parse(template);
        assertThat(parsed.idFor(index)).isEqualTo(expected);
        assertThat(parsed.indexOf(expected)).contains(index);
        assertThat(parsed.indexOf("192.168.0.1")).isEmpty();
    }
}
