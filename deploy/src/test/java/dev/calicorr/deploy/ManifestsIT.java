package dev.calicorr.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.calicorr.testsupport.ControlPlane;
import dev.calicorr.testsupport.ProcessResult;
import dev.calicorr.testsupport.RealControlPlane;
import io.kubernetes.client.util.generic.dynamic.DynamicKubernetesApi;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** deploy/ against the real apiserver: valid manifests, and a KubeControllersConfiguration schema that keeps and checks our section. */
@RealControlPlane
class ManifestsIT {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    @Test
    void theKustomizationIsAcceptedByTheApiServer(ControlPlane cp) {
        ProcessResult result = cp.kubectl("apply", "-k", cp.repo().resolve("deploy").toString(), "--dry-run=server");
        assertThat(result.exitCode()).as(result.stderr()).isZero();
        assertThat(result.stdout()).contains("deployment.apps/calico-rr-controller created (server dry run)")
                .contains("clusterrole.rbac.authorization.k8s.io/calico-rr-controller");
    }

    @Test
    void theShippedCrdIsAStrictSupersetOfCalicos(ControlPlane cp) throws Exception {
        ProcessResult built = cp.kubectl("kustomize", cp.repo().resolve("deploy/crds").toString());
        assertThat(built.exitCode()).as(built.stderr()).isZero();
        JsonNode shipped = null;
        try (MappingIterator<JsonNode> docs = YAML.readerFor(JsonNode.class).readValues(built.stdout())) {
            while (docs.hasNext()) {
                JsonNode doc = docs.next();
                if (doc.at("/metadata/name").asText().startsWith("kubecontrollersconfigurations.")) {
                    shipped = doc;
                }
            }
        }
        JsonNode calico = YAML.readTree(cp.repo().resolve(
                "deploy/crds/calico/crd.projectcalico.org_kubecontrollersconfigurations.yaml").toFile());
        assertThat(shipped).isNotNull();
        assertThat(missingFrom(shipped, calico, "")).isEmpty();
        String controllers = "/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties/controllers";
        assertThat(shipped.at(controllers + "/properties/routereflector/properties/ratio/maximum").asDouble())
                .isEqualTo(1.0);
        assertThat(calico.at(controllers + "/properties/routereflector").isMissingNode()).isTrue();
    }

    @Test
    void calicosOtherCrdsAreShippedUnmodified(ControlPlane cp) throws Exception {
        ProcessResult built = cp.kubectl("kustomize", cp.repo().resolve("deploy/crds").toString());
        assertThat(built.exitCode()).as(built.stderr()).isZero();
        List<JsonNode> shipped = new ArrayList<>();
        try (MappingIterator<JsonNode> docs = YAML.readerFor(JsonNode.class).readValues(built.stdout())) {
            docs.forEachRemaining(shipped::add);
        }
        List<String> names = new ArrayList<>();
        try (var files = Files.list(cp.repo().resolve("deploy/crds/calico"))) {
            for (Path file : files.sorted().toList()) {
                JsonNode calico = YAML.readTree(file.toFile());
                String name = calico.at("/metadata/name").asText();
                names.add(name);
                if (!name.startsWith("kubecontrollersconfigurations.")) {
                    assertThat(shipped).as(name).contains(calico);
                }
            }
        }
        assertThat(names).contains("caliconodestatuses.crd.projectcalico.org", "bgpconfigurations.crd.projectcalico.org");
        assertThat(shipped).hasSameSizeAs(names);
    }

    /** Paths of {@code upstream} that {@code ours} lacks or holds with another value. */
    private static List<String> missingFrom(JsonNode ours, JsonNode upstream, String path) {
        List<String> missing = new ArrayList<>();
        if (upstream.isObject()) {
            upstream.fields().forEachRemaining(field -> missing.addAll(
                    ours.has(field.getKey()) ? missingFrom(ours.get(field.getKey()), field.getValue(),
                            path + "/" + field.getKey()) : List.of(path + "/" + field.getKey())));
        } else if (upstream.isArray()) {
            for (int i = 0; i < upstream.size(); i++) {
                missing.addAll(i < ours.size() ? missingFrom(ours.get(i), upstream.get(i), path + "/" + i)
                        : List.of(path + "/" + i));
            }
        } else if (!upstream.equals(ours)) {
            missing.add(path + " = " + upstream + " but ours is " + ours);
        }
        return missing;
    }

    @Test
    void ourSectionIsStoredNotPruned(ControlPlane cp) throws Exception {
        ProcessResult applied = apply(cp, "ratio: 0.25\n      topologyType: single\n      removalDelay: 30s\n"
                + "      tolerations: [example.com/maintenance]");
        assertThat(applied.exitCode()).as(applied.stderr()).isZero();
        var stored = new DynamicKubernetesApi("crd.projectcalico.org", "v1", "kubecontrollersconfigurations",
                cp.adminClient()).get("default").getObject().getRaw();
        var section = stored.getAsJsonObject("spec").getAsJsonObject("controllers").getAsJsonObject("routereflector");
        assertThat(section.get("ratio").getAsDouble()).isEqualTo(0.25);
        assertThat(section.get("topologyType").getAsString()).isEqualTo("single");
        assertThat(section.getAsJsonArray("tolerations").get(0).getAsString()).isEqualTo("example.com/maintenance");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiterString = "=>", value = {
        "ratio: 2                 => spec.controllers.routereflector.ratio",
        "min: 0                   => spec.controllers.routereflector.min",
        "topologyType: ring       => spec.controllers.routereflector.topologyType",
        "clusterId: not-an-ip     => spec.controllers.routereflector.clusterId",
        "'min: 5\n      max: 4'   => min must not be greater than max",
        "min: 11                  => min must not be greater than max (min defaults to 3, max to 10)",
        "clusterId: 224.0.0.256   => every octet of clusterId must be between 0 and 255",
        "removalDelay: 5 minutes  => spec.controllers.routereflector.removalDelay",
        "reconcilerPeriod: -1s    => spec.controllers.routereflector.reconcilerPeriod",
        "'topologyType: quorum\n      min: 4\n      max: 5' => quorum needs a multiple of 3",
    })
    void valuesOutOfBoundsAreRefusedNamingTheField(String section, String message, ControlPlane cp) throws Exception {
        ProcessResult result = apply(cp, section);
        assertThat(result.exitCode()).isNotZero();
        assertThat(result.stderr()).contains(message);
    }

    private static ProcessResult apply(ControlPlane cp, String section) throws Exception {
        Path file = Files.createTempFile("kcc", ".yaml");
        Files.writeString(file, "apiVersion: crd.projectcalico.org/v1\nkind: KubeControllersConfiguration\n"
                + "metadata:\n  name: default\nspec:\n  controllers:\n    routereflector:\n      " + section + "\n");
        try {
            return cp.kubectl("apply", "-f", file.toString());
        } finally {
            Files.delete(file);
        }
    }
}
