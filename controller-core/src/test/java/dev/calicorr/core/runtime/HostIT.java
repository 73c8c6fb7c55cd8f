package dev.calicorr.core.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.calicorr.core.kube.ConfigurationStore;
import dev.calicorr.core.kube.KubeControllersConfiguration;
import dev.calicorr.core.kube.KubeControllersConfigurationList;
import dev.calicorr.testsupport.ControlPlane;
import dev.calicorr.testsupport.RealControlPlane;
import io.kubernetes.client.custom.V1Patch;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.CoreV1Event;
import io.kubernetes.client.util.generic.GenericKubernetesApi;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The host against a real kube-apiserver, running as the controller's RBAC identity. */
@RealControlPlane
class HostIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final List<Host> hosts = new ArrayList<>();

    @AfterEach
    void closeHosts() {
        hosts.forEach(Host::close);
    }

    private Host start(ControlPlane cp, RecordingPlugin plugin, Map<String, String> env, boolean standalone,
            String identity, Runnable onLost) throws Exception {
        HostOptions options = HostOptions.defaults(env, identity)
                .withHealth("127.0.0.1", 0)
                .withModes(false, standalone)
                .withLease("kube-system", "calico-rr-controller", Duration.ofSeconds(4), Duration.ofSeconds(3),
                        Duration.ofMillis(500))
                .withStartupTimeout(Duration.ofSeconds(5));
        // two hosts share this JVM: no metrics port for them unless a test sets one
        if (!configs(cp).get("default").isSuccess()) {
            configs(cp).create(new KubeControllersConfiguration(
                    new io.kubernetes.client.openapi.models.V1ObjectMeta().name("default"),
                    Map.of("prometheusMetricsPort", 0, "controllers", Map.of())));
        }
        Host host = new Host(options, cp.controllerClient(), cp.newControllerClient(), List.of(plugin), onLost);
        hosts.add(host);
        host.start();
        return host;
    }

    private static GenericKubernetesApi<KubeControllersConfiguration, KubeControllersConfigurationList> configs(
            ControlPlane cp) {
        return ConfigurationStore.api(cp.adminClient());
    }

    @Test
    void createsDefaultMergesEnvironmentAndWritesStatus(ControlPlane cp) throws Exception {
        RecordingPlugin plugin = new RecordingPlugin();
        Host host = start(cp, plugin, Map.of("ENABLED_CONTROLLERS", "recording", "RECORDING_MESSAGE", "from-env",
                "LOG_LEVEL", "info"), true, "a", () -> { });

        await("the host leads", host::isLeader);
        await("the controller runs", () -> plugin.running.getCount() == 0);
        assertThat(plugin.configs).containsExactly("from-env");

        await("status.runningConfig is written", () -> configs(cp).get("default").getObject().getStatus() != null);
        Map<String, Object> status = configs(cp).get("default").getObject().getStatus();
        assertThat(status.toString()).contains("recording={message=from-env}");
        @SuppressWarnings("unchecked")
        Map<String, Object> environmentVars = (Map<String, Object>) status.get("environmentVars");
        assertThat(environmentVars).containsEntry("RECORDING_MESSAGE", "from-env")
                .containsEntry("ENABLED_CONTROLLERS", "recording").containsEntry("LOG_LEVEL", "info");
    }

    @Test
    void liveEditsReachThePluginAndBadEditsAreRejectedKeepingTheLastGood(ControlPlane cp) throws Exception {
        RecordingPlugin plugin = new RecordingPlugin();
        Host host = start(cp, plugin, Map.of("ENABLED_CONTROLLERS", "recording"), true, "a", () -> { });
        await("the controller runs", () -> plugin.running.getCount() == 0);

        patchSection(cp, "{\"message\":\"second\"}");
        await("the edit reaches the plugin", () -> plugin.configs.contains("second"));

        patchSection(cp, "{\"message\":\" \"}");
        await("an Event names the rejected field", () -> events(cp).stream().anyMatch(e ->
                "InvalidConfiguration".equals(e.getReason())
                        && e.getMessage().contains("spec.controllers.recording.message: must not be empty")));
        assertThat(plugin.configs).containsExactly("hello", "second");
        await("runningConfig keeps the last good value", () -> String.valueOf(
                configs(cp).get("default").getObject().getStatus()).contains("message=second"));
        assertThat(host.isLeader()).isTrue();
    }

    @Test
    void removingTheSectionThatEnablesAControllerDisablesItAndPuttingItBackEnablesItAgain(ControlPlane cp)
            throws Exception {
        configs(cp).create(new KubeControllersConfiguration(
                new io.kubernetes.client.openapi.models.V1ObjectMeta().name("default"),
                Map.of("prometheusMetricsPort", 0, "controllers", Map.of("recording", Map.of("message", "first")))));
        RecordingPlugin plugin = new RecordingPlugin();
        Host host = start(cp, plugin, Map.of(), false, "a", () -> { }); // ENABLED_CONTROLLERS unset
        await("the controller runs", () -> plugin.running.getCount() == 0);
        assertThat(plugin.configs).containsExactly("first");

        patchSpec(cp, "{\"spec\":{\"controllers\":{\"recording\":null}}}");
        await("the controller is told it is disabled", () -> plugin.disabled.get() == 1);
        // disabled is not stopped: the controller keeps its thread, informers and metrics
        assertThat(plugin.stopped).isFalse();
        assertThat(host.isLeader()).isTrue();
        await("the effective config no longer lists it", () -> !String.valueOf(configs(cp).get("default").getObject()
                .getMetadata().getAnnotations().get(ConfigurationStore.RUNNING_CONFIG_ANNOTATION)).contains("first"));

        patchSection(cp, "{\"message\":\"first\"}"); // the same configuration as before
        await("the controller is enabled again", () -> plugin.configs.size() == 2);
        assertThat(plugin.configs).containsExactly("first", "first");
        assertThat(plugin.disabled.get()).isEqualTo(1);
    }

    @Test
    void aSectionTheCrdDropsDoesNotDisableTheControllerItEnables(ControlPlane cp) throws Exception {
        configs(cp).create(new KubeControllersConfiguration(
                new io.kubernetes.client.openapi.models.V1ObjectMeta().name("default"),
                Map.of("prometheusMetricsPort", 0, "controllers", Map.of("recording", Map.of("message", "first")))));
        RecordingPlugin plugin = new RecordingPlugin();
        start(cp, plugin, Map.of(), false, "a", () -> { }); // ENABLED_CONTROLLERS unset
        await("the controller runs", () -> plugin.running.getCount() == 0);
        java.nio.file.Path calicoCrd = cp.repo().resolve(
                "deploy/crds/calico/crd.projectcalico.org_kubecontrollersconfigurations.yaml");
        try {
            assertThat(cp.kubectl("apply", "-f", calicoCrd.toString()).exitCode()).isZero();
            // the next write of the object drops the section, as after a Calico upgrade
            await("the section is gone from the CR", () -> {
                var response = configs(cp).patch("default", V1Patch.PATCH_FORMAT_JSON_MERGE_PATCH,
                        new V1Patch("{\"spec\":{\"logSeverityScreen\":\"Warning\"}}"));
                return response.isSuccess() && !String.valueOf(response.getObject().getSpec()).contains("recording");
            });
            await("the pruning is reported", () -> events(cp).stream()
                    .anyMatch(e -> "ConfigurationSectionPruned".equals(e.getReason())));
            // one more edit, handled after the one that dropped the section (one config thread)
            patchSpec(cp, "{\"spec\":{\"logSeverityScreen\":\"Info\"}}");
            org.slf4j.Logger root = org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
            await("the later edit is handled", () -> root.isInfoEnabled());
            assertThat(plugin.disabled.get()).isZero();
            assertThat(plugin.stopped).isFalse();
        } finally {
            cp.installCrds();
        }
    }

    @Test
    void besideUpstreamTheEffectiveConfigGoesToAnAnnotationNotStatus(ControlPlane cp) throws Exception {
        RecordingPlugin plugin = new RecordingPlugin();
        start(cp, plugin, Map.of("ENABLED_CONTROLLERS", "recording"), false, "a", () -> { });
        await("the annotation is written", () -> {
            Map<String, String> annotations = configs(cp).get("default").getObject().getMetadata().getAnnotations();
            return annotations != null && annotations.getOrDefault(ConfigurationStore.RUNNING_CONFIG_ANNOTATION, "")
                    .contains("\"message\":\"hello\"");
        });
        assertThat(configs(cp).get("default").getObject().getStatus()).isNull();
    }

    @Test
    void besideUpstreamsStatusWriterNeitherSideLoops(ControlPlane cp) throws Exception {
        try (UpstreamStatusWriter upstream = new UpstreamStatusWriter(cp.adminClient(), cp.newAdminClient())) {
            start(cp, new RecordingPlugin(), Map.of("ENABLED_CONTROLLERS", "recording"), false, "a", () -> { });
            await("upstream wrote its status", () -> upstream.statusWrites.get() > 0);
            await("our annotation is written", () -> configs(cp).get("default").getObject().getMetadata()
                    .getAnnotations().containsKey(ConfigurationStore.RUNNING_CONFIG_ANNOTATION));

            int edits = 5;
            for (int i = 0; i < edits; i++) {
                patchSpec(cp, "{\"spec\":{\"logSeverityScreen\":\"" + (i % 2 == 0 ? "Debug" : "Info") + "\"}}");
                Thread.sleep(2000);
            }
            int afterEdits = upstream.objectChanges.get();
            Thread.sleep(Duration.ofSeconds(50).toMillis()); // a minute in all, as two writers that loop would not rest
            // each edit: the edit itself, upstream's status, our annotation; then nothing
            assertThat(upstream.objectChanges.get()).isEqualTo(afterEdits).isLessThanOrEqualTo(3 * edits + 3);
            KubeControllersConfiguration last = configs(cp).get("default").getObject();
            assertThat(last.getStatus().toString()).contains("ENABLED_CONTROLLERS=node").doesNotContain("recording");
            assertThat(last.getMetadata().getAnnotations().get(ConfigurationStore.RUNNING_CONFIG_ANNOTATION))
                    .contains("\"logSeverityScreen\":\"Debug\"");
        }
    }

    @Test
    void oneOfTwoHostsLeadsAndTheOtherTakesOverWhenItStops(ControlPlane cp) throws Exception {
        RecordingPlugin first = new RecordingPlugin();
        RecordingPlugin second = new RecordingPlugin();
        AtomicInteger lost = new AtomicInteger();
        Host a = start(cp, first, Map.of("ENABLED_CONTROLLERS", "recording"), true, "host-a", lost::incrementAndGet);
        await("a leads", a::isLeader);
        Host b = start(cp, second, Map.of("ENABLED_CONTROLLERS", "recording"), true, "host-b", lost::incrementAndGet);

        // b follows while a renews: give it several retry periods to prove it does not also lead.
        Instant until = Instant.now().plusSeconds(3);
        while (Instant.now().isBefore(until)) {
            assertThat(b.isLeader()).isFalse();
            Thread.sleep(100);
        }
        assertThat(second.running.getCount()).isEqualTo(1);

        a.close();
        assertThat(first.stopped).isTrue();
        await("b takes over", b::isLeader);
        await("b's controller runs", () -> second.running.getCount() == 0);
        assertThat(lost.get()).isZero();
    }

    @Test
    void healthAndReadinessAreServed(ControlPlane cp) throws Exception {
        Host host = start(cp, new RecordingPlugin(), Map.of("ENABLED_CONTROLLERS", "recording"), true, "a", () -> { });
        HttpClient http = HttpClient.newHttpClient();
        await("ready", () -> get(http, host.healthPort(), "/readyz") == 200);
        assertThat(get(http, host.healthPort(), "/healthz")).isEqualTo(200);
        assertThat(get(http, host.healthPort(), "/nothing")).isEqualTo(404);
    }

    @Test
    void metricsAreServedWithOurPrefix(ControlPlane cp) throws Exception {
        RecordingPlugin plugin = new RecordingPlugin();
        start(cp, plugin, Map.of("ENABLED_CONTROLLERS", "recording"), true, "a", () -> { });
        int port = freePort();
        patchSpec(cp, "{\"spec\":{\"prometheusMetricsPort\":" + port + "}}");
        hosts.forEach(Host::close);
        hosts.clear();
        Host host = start(cp, new RecordingPlugin(), Map.of("ENABLED_CONTROLLERS", "recording"), true, "b", () -> { });
        await("leads", host::isLeader);
        HttpResponse<String> metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + host.metricsPort() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(host.metricsPort()).isEqualTo(port);
        assertThat(metrics.body()).contains("calico_rr_leader 1.0");
    }

    @Test
    void anUnknownControllerNameStopsTheStartWithOneClearMessage(ControlPlane cp) {
        assertThatThrownBy(() -> start(cp, new RecordingPlugin(), Map.of("ENABLED_CONTROLLERS", "recording,nodes"),
                true, "a", () -> { }))
                .isInstanceOf(HostStartException.class)
                .hasMessage("cannot run: ENABLED_CONTROLLERS: Invalid controller 'nodes' (this process has: recording)");
    }

    @Test
    void aMissingCrdIsNamedWithTheFix(ControlPlane cp) throws Exception {
        assertThat(cp.kubectl("delete", "crd", "kubecontrollersconfigurations.crd.projectcalico.org").exitCode())
                .isZero();
        try {
            assertThatThrownBy(() -> start(cp, new RecordingPlugin(), Map.of(), true, "a", () -> { }))
                    .isInstanceOf(HostStartException.class)
                    .hasMessageContaining("kubecontrollersconfigurations.crd.projectcalico.org is not installed")
                    .hasMessageContaining("deploy/crds");
        } finally {
            cp.installCrds();
        }
    }

    @Test
    void anUnreachableApiGivesUpAfterTheStartupTimeoutWithOneClearMessage(ControlPlane cp) throws Exception {
        String nowhere = "https://127.0.0.1:" + freePort();
        HostOptions options = HostOptions.defaults(Map.of(), "a").withHealth("127.0.0.1", 0)
                .withStartupTimeout(Duration.ofSeconds(2));
        Host host = new Host(options, io.kubernetes.client.util.Config.fromUrl(nowhere, false),
                io.kubernetes.client.util.Config.fromUrl(nowhere, false), List.of(new RecordingPlugin()), () -> { });
        hosts.add(host);
        assertThatThrownBy(host::start)
                .isInstanceOf(HostStartException.class)
                .hasMessageStartingWith("cannot run: no answer from the Kubernetes API at https://127.0.0.1:");
    }

    private static int get(HttpClient http, int port, String path) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (Exception e) {
            return -1;
        }
    }

    private static int freePort() throws Exception {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static void patchSection(ControlPlane cp, String section) {
        patchSpec(cp, "{\"spec\":{\"controllers\":{\"recording\":" + section + "}}}");
    }

    private static void patchSpec(ControlPlane cp, String patch) {
        var response = configs(cp).patch("default", V1Patch.PATCH_FORMAT_JSON_MERGE_PATCH, new V1Patch(patch));
        assertThat(response.isSuccess()).as("patch %s: %s", patch, response.getStatus()).isTrue();
    }

    private static List<CoreV1Event> events(ControlPlane cp) {
        try {
            return new CoreV1Api(cp.adminClient()).listNamespacedEvent("default").execute().getItems();
        } catch (Exception e) {
            return List.of();
        }
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        Instant deadline = Instant.now().plus(TIMEOUT);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("timed out after " + TIMEOUT + " waiting until " + what);
            }
            Thread.sleep(50);
        }
    }
}
