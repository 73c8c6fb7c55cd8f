package dev.calicorr.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.calicorr.testsupport.ControlPlane;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The container image's config and application layers, as Jib builds them in every build
 * (target/image-layout.tar, on scratch: the same configuration as -Pimage's image, without a base).
 * What runs on a real base is ImageRunIT's.
 */
class ImageLayoutIT {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    @TempDir
    Path dir;

    private ImageTarball image() throws Exception {
        Path tarball = Path.of(System.getProperty("image.layout", "target/image-layout.tar"));
        assertThat(tarball).as("built by the package phase (jib:buildTar, execution image-layout)").exists();
        return ImageTarball.open(tarball, dir);
    }

    private static JsonNode deployment() throws Exception {
        return YAML.readTree(ControlPlane.repoRoot().resolve("deploy/deployment.yaml").toFile());
    }

    @Test
    void theImageRunsTheHostAsTheDeploymentsNonRootUserWithContainerJvmFlagsAndItsPorts() throws Exception {
        JsonNode config = image().config().get("config");
        JsonNode pod = deployment().at("/spec/template/spec");

        List<String> entrypoint = new ArrayList<>();
        config.get("Entrypoint").forEach(word -> entrypoint.add(word.asText()));
        assertThat(entrypoint).startsWith("java").endsWith("-cp", "@/app/jib-classpath-file", "dev.calicorr.core.Main")
                .contains("-XX:MaxRAMPercentage=50", "-XX:+ExitOnOutOfMemoryError", "-XX:-UsePerfData",
                        "-Djava.io.tmpdir=/tmp");
        assertThat(config.get("User").asText()).isEqualTo(pod.at("/securityContext/runAsUser").asText() + ":"
                + pod.at("/securityContext/runAsGroup").asText()).isEqualTo("65534:65534");
        List<String> ports = new ArrayList<>();
        config.get("ExposedPorts").fieldNames().forEachRemaining(ports::add);
        List<String> deploymentPorts = new ArrayList<>();
        pod.at("/containers/0/ports").forEach(p -> deploymentPorts.add(p.get("containerPort").asText() + "/tcp"));
        assertThat(ports).containsExactlyInAnyOrderElementsOf(deploymentPorts).contains("9094/tcp", "9099/tcp");
        assertThat(config.get("Labels").get("org.opencontainers.image.title").asText()).isEqualTo("calico-rr-controller");
        assertThat(config.get("Labels").get("org.opencontainers.image.version").asText()).isNotBlank();
        assertThat(config.get("Labels").get("org.opencontainers.image.description").asText()).contains("Calico");
        assertThat(config.get("Labels").get("org.opencontainers.image.base.name").asText()).isEqualTo("scratch");
    }

    @Test
    void theImageIsTaggedAsTheDeploymentNamesItAndCreatedAtTheEpochForReproducibleBuilds() throws Exception {
        ImageTarball image = image();
        assertThat(image.manifest().get("RepoTags").get(0).asText())
                .isEqualTo(deployment().at("/spec/template/spec/containers/0/image").asText());
        assertThat(image.config().get("created").asText()).isEqualTo("1970-01-01T00:00:00Z");
    }

    @Test
    void theLayersHoldTheApplicationItsPluginsAndTheirClassPath() throws Exception {
        ImageTarball image = image();
        List<String> files = image.layerContents().stream().flatMap(List::stream).toList();

        assertThat(files).anyMatch(f -> f.matches("app/libs/controller-core-[^/]+\\.jar"))
                .anyMatch(f -> f.matches("app/libs/controller-routereflector-[^/]+\\.jar"))
                .anyMatch(f -> f.matches("app/libs/client-java-extended-[^/]+\\.jar"))
                .contains("app/resources/logback.xml", "app/jib-classpath-file");
        // a scratch base adds nothing: no JRE, no shell; every file is the application's
        assertThat(files).allMatch(f -> f.startsWith("app"));
        // the class path names each jar of the libs layer, so the plugin's ServiceLoader entry is on it
        Path root = Files.createDirectory(dir.resolve("root"));
        image.unpackInto(root);
        String classPath = Files.readString(root.resolve("app/jib-classpath-file"));
        assertThat(classPath).contains("/app/libs/controller-routereflector-", "/app/resources");
        List<String> jars = List.of(classPath.strip().split(":")).stream().filter(e -> e.endsWith(".jar")).toList();
        jars.forEach(jar -> assertThat(root.resolve(jar.substring(1))).as(jar).isRegularFile());
        try (var libs = Files.list(root.resolve("app/libs"))) {
            assertThat(libs.count()).isEqualTo(jars.size());
        }
    }
}
