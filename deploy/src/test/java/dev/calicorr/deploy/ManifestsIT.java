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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * deploy/ against the real apiserver: valid manifests, an install beside Calico that ships no CRD,
 * and a KubeControllersConfiguration schema that keeps and checks our section.
 */
@RealControlPlane
class ManifestsIT {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    @Test
    void theKustomizationIsAcceptedByTheApiServer(ControlPlane cp) {
        ProcessResult result = cp.kubectl("apply", "-k", cp.repo().resolve("deploy").toString(), "--dry-run=server");
        assertThat(result.exitCode()).as(result.stderr()).isZero();
        assertThat(result.stdout()).contains("deployment.apps/calico-rr-controller created (server dry run)")
                .contains("poddisruptionbudget.policy/calico-rr-controller created (server dry run)")
                .contains("clusterrole.rbac.authorization.k8s.io/calico-rr-controller");
    }

    @Test
    void besideCalicoTheKustomizationShipsNoCrd(ControlPlane cp) throws Exception {
        List<String> kinds = rendered(cp, "deploy").stream()
                .map(doc -> doc.at("/kind").asText() + "/" + doc.at("/metadata/name").asText()).toList();
        assertThat(kinds).contains("Deployment/calico-rr-controller", "ClusterRole/calico-rr-controller")
                .noneMatch(kind -> kind.startsWith("CustomResourceDefinition/"));
    }

    @Test
    void theReplicasAreSpreadOverNodesKeptThroughDrainsAndScheduledAsCritical(ControlPlane cp) throws Exception {
        List<JsonNode> docs = rendered(cp, "deploy");
        JsonNode deployment = only(docs, "Deployment");
        JsonNode pod = deployment.at("/spec/template");
        JsonNode podLabels = pod.at("/metadata/labels");
        JsonNode budget = only(docs, "PodDisruptionBudget");
        assertThat(budget.at("/spec/selector/matchLabels")).isEqualTo(podLabels);
        assertThat(budget.at("/spec/maxUnavailable").asInt()).isEqualTo(1);
        assertThat(deployment.at("/spec/replicas").asInt()).isGreaterThan(1);
        JsonNode spread = pod.at("/spec/affinity/podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/0"
                + "/podAffinityTerm");
        assertThat(spread.at("/topologyKey").asText()).isEqualTo("kubernetes.io/hostname");
        assertThat(spread.at("/labelSelector/matchLabels")).isEqualTo(podLabels);
        List<String> tolerations = new ArrayList<>();
        pod.at("/spec/tolerations").forEach(t -> tolerations.add(t.at("/key").asText() + ":" + t.at("/effect").asText()));
        // upstream calico-kube-controllers' (manifests/calico.yaml)
        assertThat(tolerations).contains("CriticalAddonsOnly:", "node-role.kubernetes.io/master:NoSchedule",
                "node-role.kubernetes.io/control-plane:NoSchedule");

        // a Pod of the template, as the ReplicaSet would create it: the Priority admission resolves the class
        Path file = Files.createTempFile("pod", ".json");
        try {
            var asPod = YAML.createObjectNode().put("apiVersion", "v1").put("kind", "Pod");
            asPod.putObject("metadata").put("name", "calico-rr-controller-probe").put("namespace", "kube-system")
                    .set("labels", podLabels);
            asPod.set("spec", pod.at("/spec"));
            Files.writeString(file, asPod.toString());
            ProcessResult created = cp.kubectl("create", "-f", file.toString(), "--dry-run=server", "-o", "json");
            assertThat(created.exitCode()).as(created.stderr()).isZero();
            JsonNode admitted = YAML.readTree(created.stdout());
            assertThat(admitted.at("/spec/priorityClassName").asText()).isEqualTo("system-cluster-critical");
            assertThat(admitted.at("/spec/priority").asLong()).isEqualTo(2_000_000_000L);
        } finally {
            Files.delete(file);
        }
    }

    @Test
    void ourSectionAgainstCalicosOwnCrdIsRefusedByKubectlAndDroppedWithoutStrictValidation(ControlPlane cp)
            throws Exception {
        ProcessResult installed = cp.kubectl("apply", "-f", cp.repo().resolve(
                "deploy/crds/calico/crd.projectcalico.org_kubecontrollersconfigurations.yaml").toString());
        assertThat(installed.exitCode()).as(installed.stderr()).isZero();
        try {
            ProcessResult strict = apply(cp, "ratio: 0.25");
            assertThat(strict.exitCode()).isNotZero();
            assertThat(strict.stderr()).contains("strict decoding error: unknown field "
                    + "\"spec.controllers.routereflector\"");
            assertThat(cp.kubectl("get", "kubecontrollersconfigurations", "default").exitCode()).isNotZero();

            // without strict validation the object is stored without the section: with a warning, or silently
            ProcessResult warned = apply(cp, "ratio: 0.25", "--validate=warn");
            assertThat(warned.exitCode()).as(warned.stderr()).isZero();
            assertThat(warned.stderr()).contains("Warning: unknown field \"spec.controllers.routereflector\"");
            assertThat(storedControllers(cp).has("routereflector")).isFalse();
            assertThat(cp.kubectl("delete", "kubecontrollersconfigurations", "default").exitCode()).isZero();
            ProcessResult silent = apply(cp, "ratio: 0.25", "--validate=false");
            assertThat(silent.exitCode()).as(silent.stderr()).isZero();
            assertThat(silent.stderr()).isEmpty();
            assertThat(storedControllers(cp).has("routereflector")).isFalse();
        } finally {
            cp.installCrds();
        }
    }

    @Test
    void theEtcdComponentSetsCalicosVariablesAndMountsTheClientCertificateReadOnly(ControlPlane cp) throws Exception {
        // outside deploy/ (the control plane's work dir is below it): kustomize refuses a root inside the one it includes
        Path dir = Files.createTempDirectory("etcd-install");
        Files.writeString(dir.resolve("kustomization.yaml"), "resources: [" + dir.relativize(cp.repo().resolve("deploy"))
                + "]\ncomponents: [" + dir.relativize(cp.repo().resolve("deploy/etcd")) + "]\n");
        ProcessResult accepted = cp.kubectl("apply", "-k", dir.toString(), "--dry-run=server");
        List<JsonNode> docs = rendered(cp, dir.toString());
        Files.delete(dir.resolve("kustomization.yaml"));
        Files.delete(dir);
        assertThat(accepted.exitCode()).as(accepted.stderr()).isZero();

        JsonNode pod = only(docs, "Deployment").at("/spec/template/spec");
        JsonNode container = pod.at("/containers/0");
        Map<String, JsonNode> env = new HashMap<>();
        container.at("/env").forEach(e -> env.put(e.at("/name").asText(), e));
        assertThat(env.get("DATASTORE_TYPE").at("/value").asText()).isEqualTo("etcdv3");
        // the ConfigMap keys of Calico's own etcd manifests (calico-etcd.yaml)
        assertThat(env.get("ETCD_ENDPOINTS").at("/valueFrom/configMapKeyRef/key").asText()).isEqualTo("etcd_endpoints");
        assertThat(env.get("ETCD_CA_CERT_FILE").at("/valueFrom/configMapKeyRef/key").asText()).isEqualTo("etcd_ca");
        assertThat(env.get("ETCD_CERT_FILE").at("/valueFrom/configMapKeyRef/key").asText()).isEqualTo("etcd_cert");
        assertThat(env.get("ETCD_KEY_FILE").at("/valueFrom/configMapKeyRef/key").asText()).isEqualTo("etcd_key");
        assertThat(env).containsKeys("ENABLED_CONTROLLERS", "POD_NAME");
        JsonNode mount = null;
        for (JsonNode m : container.at("/volumeMounts")) {
            if (m.at("/name").asText().equals("etcd-certs")) {
                mount = m;
            }
        }
        assertThat(mount).isNotNull();
        assertThat(mount.at("/mountPath").asText()).isEqualTo("/calico-secrets");
        assertThat(mount.at("/readOnly").asBoolean()).isTrue();
        JsonNode secret = null;
        for (JsonNode v : pod.at("/volumes")) {
            if (v.at("/name").asText().equals("etcd-certs")) {
                secret = v.at("/secret");
            }
        }
        assertThat(secret.at("/secretName").asText()).isEqualTo("calico-etcd-secrets");
        assertThat(secret.at("/defaultMode").asInt()).isEqualTo(0440);
        // the group that may read the files is the container's (it runs as 65534:65534, non-root)
        assertThat(pod.at("/securityContext/fsGroup").asInt()).isEqualTo(pod.at("/securityContext/runAsGroup").asInt());
    }

    private static JsonNode storedControllers(ControlPlane cp) throws Exception {
        ProcessResult stored = cp.kubectl("get", "kubecontrollersconfigurations", "default", "-o", "json");
        assertThat(stored.exitCode()).as(stored.stderr()).isZero();
        return YAML.readTree(stored.stdout()).at("/spec/controllers");
    }

    private static List<JsonNode> rendered(ControlPlane cp, String kustomization) throws Exception {
        ProcessResult built = cp.kubectl("kustomize", cp.repo().resolve(kustomization).toString());
        assertThat(built.exitCode()).as(built.stderr()).isZero();
        List<JsonNode> docs = new ArrayList<>();
        try (MappingIterator<JsonNode> read = YAML.readerFor(JsonNode.class).readValues(built.stdout())) {
            read.forEachRemaining(docs::add);
        }
        return docs;
    }

    private static JsonNode only(List<JsonNode> docs, String kind) {
        List<JsonNode> found = docs.stream().filter(doc -> doc.at("/kind").asText().equals(kind)).toList();
        assertThat(found).as(kind).hasSize(1);
        return found.get(0);
    }

    @Test
    void theShippedCrdIsAStrictSupersetOfCalicos(ControlPlane cp) throws Exception {
        JsonNode shipped = rendered(cp, "deploy/crds").stream()
                .filter(doc -> doc.at("/metadata/name").asText().startsWith("kubecontrollersconfigurations."))
                .findFirst().orElse(null);
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
        List<JsonNode> shipped = rendered(cp, "deploy/crds");
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

    private static ProcessResult apply(ControlPlane cp, String section, String... flags) throws Exception {
        Path file = Files.createTempFile("kcc", ".yaml");
        Files.writeString(file, "apiVersion: crd.projectcalico.org/v1\nkind: KubeControllersConfiguration\n"
                + "metadata:\n  name: default\nspec:\n  controllers:\n    routereflector:\n      " + section + "\n");
        try {
            List<String> args = new ArrayList<>(List.of("apply", "-f", file.toString()));
            args.addAll(List.of(flags));
            return cp.kubectl(args.toArray(String[]::new));
        } finally {
            Files.delete(file);
        }
    }
}
