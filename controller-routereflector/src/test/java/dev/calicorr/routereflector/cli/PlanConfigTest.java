package dev.calicorr.routereflector.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.config.TopologyType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlanConfigTest {
    @TempDir
    Path dir;

    private Path file(String text) throws Exception {
        Path file = Files.createTempFile(dir, "config", ".yaml");
        Files.writeString(file, text);
        return file;
    }

    @Test
    void aConfigFileMayHoldTheSectionTheSpecOrTheWholeObject() throws Exception {
        assertThat(PlanConfig.sectionOfFile(file("min: 4\nratio: 0.01\n"))).isEqualTo(Map.of("min", 4, "ratio", 0.01));
        assertThat(PlanConfig.sectionOfFile(file("controllers:\n  routereflector: {min: 4}\n  node: {}\n")))
                .isEqualTo(Map.of("min", 4));
        assertThat(PlanConfig.sectionOfFile(file("""
                apiVersion: crd.projectcalico.org/v1
                kind: KubeControllersConfiguration
                metadata: {name: default}
                spec:
                  logSeverityScreen: Info
                  controllers: {routereflector: {topologyType: single}}
                """))).isEqualTo(Map.of("topologyType", "single"));
        assertThat(PlanConfig.sectionOfFile(file("{\"spec\": {\"controllers\": {\"routereflector\": {\"max\": 7}}}}")))
                .isEqualTo(Map.of("max", 7));
        assertThat(PlanConfig.sectionOfFile(file("controllers: {node: {}}\n"))).isNull();
    }

    @Test
    void aBadConfigFileIsOneLine() throws Exception {
        assertThatThrownBy(() -> PlanConfig.sectionOfFile(file("min: [")))
                .isInstanceOf(PlanInputException.class).hasMessageStartingWith("--config: ")
                .hasMessageContaining("is not valid YAML or JSON").hasMessageNotContaining("\n");
        assertThatThrownBy(() -> PlanConfig.sectionOfFile(dir.resolve("missing.yaml")))
                .hasMessageStartingWith("--config: cannot read ");
        assertThatThrownBy(() -> PlanConfig.sectionOfFile(file("controllers: {routereflector: 3}")))
                .hasMessageEndingWith(": controllers.routereflector must be an object");
    }

    @Test
    void setsAndTopologyGoOnTopOfTheSectionAndAreTypedAsYamlReadsThem() throws Exception {
        RouteReflectorConfig config = PlanConfig.parse(Map.of("min", 4, "topologyType", "multi"),
                List.of("max=20", "ratio=0.02", "adoptLegacyPeers=true", "tolerations=[dedicated, infra]",
                        "nodeSelector=!has(spot) && rr-pool == 'true'", "incompatibleLabels=a=b,c",
                        "routeReflectorLabelValue='true'", "zoneLabel="), "single").config();

        assertThat(config.min()).isEqualTo(4);
        assertThat(config.max()).isEqualTo(20);
        assertThat(config.ratio()).isEqualTo(0.02);
        assertThat(config.adoptLegacyPeers()).isTrue();
        assertThat(config.tolerations()).containsExactlyInAnyOrder("dedicated", "infra");
        assertThat(config.nodeSelector().matches(Map.of("rr-pool", "true"))).isTrue();
        assertThat(config.nodeSelector().matches(Map.of("rr-pool", "true", "spot", ""))).isFalse();
        assertThat(config.incompatibleLabels()).hasSize(2);
        assertThat(config.routeReflectorLabelValue()).isEqualTo("true");
        assertThat(config.zoneLabel()).isEmpty();
        assertThat(config.topologyType()).isEqualTo(TopologyType.SINGLE);
        assertThat(PlanConfig.parse(null, List.of(), null).config()).isEqualTo(RouteReflectorConfig.defaults());
    }

    @Test
    void whatTheControllersParserRefusesIsRefusedNamingTheField() {
        assertThatThrownBy(() -> PlanConfig.parse(Map.of("min", 5), List.of("max=3"), null))
                .isInstanceOf(PlanInputException.class)
                .hasMessage("invalid configuration: spec.controllers.routereflector.min: min 5 is greater than max 3");
        assertThatThrownBy(() -> PlanConfig.parse(null, List.of(), "ring"))
                .hasMessageStartingWith("invalid configuration: spec.controllers.routereflector.topologyType: "
                        + "'ring' is not a topology");
        assertThatThrownBy(() -> PlanConfig.parse(null, List.of("minimum=3"), null))
                .hasMessageStartingWith("invalid configuration: spec.controllers.routereflector.minimum: unknown field");
        assertThatThrownBy(() -> PlanConfig.parse(null, List.of("ratio"), null))
                .hasMessage("--set ratio: write key=value, e.g. --set min=5");
        assertThatThrownBy(() -> PlanConfig.parse(null, List.of("ratio=lots"), null))
                .hasMessageContaining("ratio: must be a number, got 'lots'");
    }
}
