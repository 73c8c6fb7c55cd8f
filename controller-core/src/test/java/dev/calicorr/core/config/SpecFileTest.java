package dev.calicorr.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpecFileTest {
    @TempDir
    Path dir;

    @Test
    void readsASpecInYaml() throws Exception {
        Path file = write("controllers:\n  routereflector:\n    min: 3\n    ratio: 0.01\n    zoneLabel: rack\n");
        Map<String, Object> spec = SpecFile.read(file);
        assertThat(spec.get("controllers")).isEqualTo(
                Map.of("routereflector", Map.of("min", 3, "ratio", 0.01, "zoneLabel", "rack")));
    }

    @Test
    void aWholeObjectGivesItsSpec() throws Exception {
        Path file = write("{\"apiVersion\": \"crd.projectcalico.org/v1\", \"kind\": \"KubeControllersConfiguration\", "
                + "\"metadata\": {\"name\": \"default\"}, \"spec\": {\"logSeverityScreen\": \"Debug\"}}");
        assertThat(SpecFile.read(file)).containsExactly(Map.entry("logSeverityScreen", "Debug"));
    }

    @Test
    void anEmptyFileIsAnEmptySpec() throws Exception {
        assertThat(SpecFile.read(write(""))).isEmpty();
    }

    @Test
    void badFilesAreFatalWithTheReason() throws Exception {
        assertThatThrownBy(() -> SpecFile.read(write("controllers: [unclosed\n")))
                .isInstanceOf(FatalConfigException.class).hasMessageContaining("not valid YAML or JSON")
                .hasMessageContaining("--config");
        assertThatThrownBy(() -> SpecFile.read(write("- a\n- b\n")))
                .isInstanceOf(FatalConfigException.class).hasMessageContaining("not a list");
        assertThatThrownBy(() -> SpecFile.read(dir.resolve("missing.yaml")))
                .isInstanceOf(FatalConfigException.class).hasMessageContaining("cannot read");
    }

    private Path write(String text) throws Exception {
        Path file = Files.createTempFile(dir, "spec", ".yaml");
        Files.writeString(file, text);
        return file;
    }
}
