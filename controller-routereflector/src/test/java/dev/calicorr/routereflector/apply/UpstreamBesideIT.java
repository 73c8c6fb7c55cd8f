package dev.calicorr.routereflector.apply;

import static dev.calicorr.routereflector.apply.LiveChecks.ZONES;
import static dev.calicorr.routereflector.apply.LiveChecks.await;
import static dev.calicorr.routereflector.apply.LiveChecks.awaitTopology;
import static dev.calicorr.routereflector.apply.LiveChecks.configs;
import static dev.calicorr.routereflector.apply.LiveChecks.editSection;
import static dev.calicorr.routereflector.apply.LiveChecks.newHost;
import static org.assertj.core.api.Assertions.assertThat;

import dev.calicorr.core.kube.ConfigurationStore;
import dev.calicorr.core.kube.KubeControllersConfiguration;
import dev.calicorr.core.runtime.Host;
import dev.calicorr.routereflector.RouteReflectorPlugin;
import dev.calicorr.testsupport.AuditedWrite;
import dev.calicorr.testsupport.ControlPlane;
import dev.calicorr.testsupport.RealControlPlane;
import dev.calicorr.testsupport.SimulatedNodes;
import dev.calicorr.testsupport.bgp.CalicoParts;
import dev.calicorr.testsupport.bgp.UpstreamKubeControllers;
import io.kubernetes.client.custom.V1Patch;
import io.kubernetes.client.informer.ResourceEventHandler;
import io.kubernetes.client.informer.SharedInformerFactory;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * Our host with the route reflector plugin beside the real calico-kube-controllers of the pinned
 * Calico (v3.28 line), on that version's CRDs with our section patched in, as docs/install.md installs
 * it into a cluster with Calico. Upstream writes its status with a plain update of the whole object
 * through libcalico-go, which drops our section and moves our annotations into
 * {@code projectcalico.org/metadata}; it exits (and is restarted) whenever its own configuration changes.
 */
@RealControlPlane
class UpstreamBesideIT {
    private static final Duration LEASE = Duration.ofSeconds(4);
    private static final Duration QUIET = Duration.ofSeconds(30);
    private static CalicoParts parts;

    private UpstreamKubeControllers upstream;
    private Host host;
    private SharedInformerFactory watching;

    @BeforeAll
    static void buildCalico() {
        parts = CalicoParts.build(ControlPlane.repoRoot());
    }

    /** Also after a failed test: our host first, then upstream and its CRDs (ours go back). */
    @AfterEach
    void stop() {
        if (host != null) {
            host.close();
        }
        if (watching != null) {
            watching.stopAllRegisteredInformers();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    @Test
    void besideUpstreamOurSectionSurvivesItsWritesAndNeitherSideLoops(ControlPlane cp, TestInfo test) throws Exception {
        SimulatedNodes nodes = new SimulatedNodes(cp.adminClient());
        nodes.createMany("node", 0, 30, ZONES);
        // no calico-node here: sessions count as up LiveChecks.IT_SETTLE_DELAY after a write, as in the other ITs
        Map<String, Object> section = new LinkedHashMap<>(Map.of("ratio", 0.2, "removalDelay", "2s",
                "sessionSettleDelay", LiveChecks.IT_SETTLE_DELAY));
        upstream = UpstreamKubeControllers.prepare(cp, parts, workDir(test));
        // the host sees (and annotates) the object before upstream's first write, as when upstream restarts
        create(cp, Map.of("prometheusMetricsPort", 0, "controllers", Map.of("node", Map.of(),
                "routereflector", section)));
        Changes changes = countChanges(cp);
        int oursBefore = ourConfigWrites(cp).size();
        host = newHost(cp, new RouteReflectorPlugin(), "it", LEASE);
        host.start();
        awaitTopology(cp, section, 6); // 30 nodes: 6 at ratio 0.2; the defaults (min 3, ratio 0.005) give 3
        await("our annotation", () -> annotations(cp).containsKey(ConfigurationStore.RUNNING_CONFIG_ANNOTATION));
        upstream.start();
        // (a) upstream writes its status
        awaitUpstreamStatus(cp, "Info");
        // (c) its write dropped the section; the host wrote it back and kept running on it
        await("the section is back in the CR", () -> section.equals(section(cp)));
        awaitTopology(cp, section, 6);

        // nodes change while upstream rewrites the object: each log level edit makes it write its
        // status and restart (its configuration changed), and each of its starts writes again
        int edits = 4;
        for (int i = 0; i < edits; i++) {
            String level = i % 2 == 0 ? "Debug" : "Info";
            if (i % 2 == 0) {
                nodes.createMany("extra-" + i, 0, 3, ZONES);
            } else {
                for (int n = 0; n < 3; n++) {
                    nodes.delete(String.format("extra-%d-%03d", i - 1, n));
                }
            }
            patchSpec(cp, "{\"spec\":{\"logSeverityScreen\":\"" + level + "\"}}");
            awaitUpstreamStatus(cp, level);
            await("the section is back after upstream's write", () -> section.equals(section(cp)));
        }
        // 33 nodes asked for 7; back at 30 the count keeps one above the 6 (its hysteresis), and the
        // seats stay where they are, so the extra nodes coming and going cost one promotion in all
        awaitTopology(cp, section, 7);
        // (c) an edit of the section still takes effect, and survives upstream's next writes
        editSection(cp, "{\"ratio\":0.3}");
        section.put("ratio", 0.3);
        awaitTopology(cp, section, 9);
        patchSpec(cp, "{\"spec\":{\"logSeverityScreen\":\"Warning\"}}");
        awaitUpstreamStatus(cp, "Warning");
        await("the edited section is back after upstream's write", () -> section.equals(section(cp)));
        awaitTopology(cp, section, 9);
        assertThat(upstream.starts()).as("upstream restarted on its configuration changes").isGreaterThan(1);
        // the hazard happened: upstream's writes left the object without our section, each time for a moment
        assertThat(changes.withoutSection().get()).as("versions without our section").isGreaterThan(edits);

        // (b) then nothing more: no status fight, no restore loop. First the last edit's writes end
        // (upstream restarts a second or more after its status write, and writes again when it starts).
        awaitNoChangeFor(changes, Duration.ofSeconds(10));
        assertThat(section(cp)).isEqualTo(section);
        assertThat(annotations(cp)).containsKey(ConfigurationStore.RUNNING_CONFIG_ANNOTATION);
        int objectChanges = changes.get();
        int ourWrites = ourConfigWrites(cp).size() - oursBefore;
        Thread.sleep(QUIET.toMillis()); // two writers that loop would not rest for this long
        assertThat(changes.get()).as("changes of the object while nobody edits it").isEqualTo(objectChanges);
        assertThat(ourConfigWrites(cp)).as("our writes while nobody edits it").hasSize(oursBefore + ourWrites);
        // per edit: the edit; upstream's status write and its write at restart (more after a conflict);
        // after each of those, our section and our annotations (36-43 in four runs): a loop passes this in seconds
        assertThat(objectChanges).as("changes of the object for %d edits", edits + 2)
                .isLessThanOrEqualTo(12 * (edits + 2));
        // we never write status beside upstream: its status is upstream's view alone
        assertThat(ourConfigWrites(cp)).noneMatch(w -> "status".equals(w.subresource()));
        assertThat(status(cp)).doesNotContainKey("routereflector").extracting("environmentVars")
                .isEqualTo(Map.of("DATASTORE_TYPE", "kubernetes", "ENABLED_CONTROLLERS", "node"));
        System.out.printf("beside upstream: %d changes of KubeControllersConfiguration/default for %d edits, %d "
                + "writes of ours, %d versions without our section, upstream started %d times; status %s%n",
                objectChanges, edits + 2, ourWrites, changes.withoutSection().get(), upstream.starts(), status(cp));
    }

    @Test
    void upstreamCreatingTheMissingDefaultFirstDoesNotBreakOurs(ControlPlane cp, TestInfo test) throws Exception {
        SimulatedNodes nodes = new SimulatedNodes(cp.adminClient());
        nodes.createMany("node", 0, 30, ZONES);
        upstream = UpstreamKubeControllers.prepare(cp, parts, workDir(test)).start();
        await("upstream creates KubeControllersConfiguration/default", () -> configs(cp).get("default").isSuccess());
        awaitUpstreamStatus(cp, "Info");
        KubeControllersConfiguration created = configs(cp).get("default").getObject();
        // libcalico-go fills in upstream's metrics port; ours would listen there too: a test must not
        assertThat(created.getSpec()).containsEntry("prometheusMetricsPort",
                (double) UpstreamKubeControllers.DEFAULT_METRICS_PORT);
        patchSpec(cp, "{\"spec\":{\"prometheusMetricsPort\":0}}");

        host = newHost(cp, new RouteReflectorPlugin(), "it", LEASE);
        host.start();
        awaitTopology(cp, Map.of(), 3); // no section: the defaults (min 3)
        await("our annotation", () -> annotations(cp).containsKey(ConfigurationStore.RUNNING_CONFIG_ANNOTATION));
        Map<String, Object> section = Map.of("ratio", 0.2, "removalDelay", "2s");
        editSection(cp, "{\"ratio\":0.2,\"removalDelay\":\"2s\"}");
        awaitTopology(cp, section, 6);
        patchSpec(cp, "{\"spec\":{\"logSeverityScreen\":\"Debug\"}}");
        awaitUpstreamStatus(cp, "Debug");
        await("the section is back after upstream's write", () -> section.equals(section(cp)));
        awaitTopology(cp, section, 6);
        assertThat(status(cp)).extracting("environmentVars")
                .isEqualTo(Map.of("DATASTORE_TYPE", "kubernetes", "ENABLED_CONTROLLERS", "node"));
        assertThat(ourConfigWrites(cp)).noneMatch(w -> "status".equals(w.subresource()));
    }

    /** Waits until the object has not changed for {@code quiet}; fails after a minute of changes. */
    private static void awaitNoChangeFor(Changes changes, Duration quiet) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        int last = changes.get();
        Instant since = Instant.now();
        while (Duration.between(since, Instant.now()).compareTo(quiet) < 0) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("KubeControllersConfiguration/default kept changing for a minute ("
                        + changes.get() + " changes)");
            }
            Thread.sleep(200);
            if (changes.get() != last) {
                last = changes.get();
                since = Instant.now();
            }
        }
    }

    private static Path workDir(TestInfo test) {
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        return Paths.get("target", "upstream-kube-controllers",
                stamp + "-" + test.getTestMethod().orElseThrow().getName());
    }

    private static void create(ControlPlane cp, Map<String, Object> spec) {
        var created = configs(cp).create(new KubeControllersConfiguration(new V1ObjectMeta().name("default"), spec));
        assertThat(created.isSuccess()).as("%s", created.getStatus()).isTrue();
    }

    private static void patchSpec(ControlPlane cp, String json) {
        var response = configs(cp).patch("default", V1Patch.PATCH_FORMAT_JSON_MERGE_PATCH, new V1Patch(json));
        assertThat(response.isSuccess()).as("%s", response.getStatus()).isTrue();
    }

    /** Waits for upstream's status for the spec now: its running config with this log level, its environment. */
    private static void awaitUpstreamStatus(ControlPlane cp, String logSeverity) throws Exception {
        await("upstream's status shows logSeverityScreen " + logSeverity, () -> {
            Map<String, Object> status = status(cp);
            return status.get("runningConfig") instanceof Map<?, ?> running
                    && logSeverity.equals(running.get("logSeverityScreen"))
                    && running.get("controllers") instanceof Map<?, ?> controllers && controllers.containsKey("node")
                    && status.get("environmentVars") instanceof Map<?, ?> env
                    && "node".equals(env.get("ENABLED_CONTROLLERS"));
        });
    }

    private static Map<String, Object> status(ControlPlane cp) {
        Map<String, Object> status = configs(cp).get("default").getObject().getStatus();
        return status == null ? Map.of() : status;
    }

    private static Map<String, String> annotations(ControlPlane cp) {
        Map<String, String> annotations = configs(cp).get("default").getObject().getMetadata().getAnnotations();
        return annotations == null ? Map.of() : annotations;
    }

    /** spec.controllers.routereflector as stored, numbers as the test writes them. */
    private static Map<String, Object> section(ControlPlane cp) {
        Map<String, Object> spec = configs(cp).get("default").getObject().getSpec();
        if (!(spec.get("controllers") instanceof Map<?, ?> controllers
                && controllers.get("routereflector") instanceof Map<?, ?> stored)) {
            return null;
        }
        Map<String, Object> section = new LinkedHashMap<>();
        stored.forEach((key, value) -> section.put((String) key, value instanceof Double d && d == Math.rint(d)
                && !"ratio".equals(key) ? (Object) d.intValue() : value));
        return section;
    }

    private static List<AuditedWrite> ourConfigWrites(ControlPlane cp) {
        return cp.controllerWrites().stream().filter(w -> KubeControllersConfiguration.PLURAL.equals(w.resource()))
                .toList();
    }

    /** Changes of KubeControllersConfiguration/default seen by a watch: all, and those that left it without our section. */
    private record Changes(AtomicInteger all, AtomicInteger withoutSection) {
        int get() {
            return all.get();
        }
    }

    /** Counts every change (resourceVersion) of KubeControllersConfiguration/default from now on, whoever made it. */
    private Changes countChanges(ControlPlane cp) {
        Changes changes = new Changes(new AtomicInteger(), new AtomicInteger());
        var client = cp.newAdminClient();
        client.setReadTimeout(0);
        watching = new SharedInformerFactory(client);
        watching.sharedIndexInformerFor(ConfigurationStore.api(client), KubeControllersConfiguration.class, 0)
                .addEventHandler(new ResourceEventHandler<>() {
                    @Override
                    public void onAdd(KubeControllersConfiguration obj) {
                    }

                    @Override
                    public void onUpdate(KubeControllersConfiguration before, KubeControllersConfiguration after) {
                        if (!Objects.equals(before.getMetadata().getResourceVersion(),
                                after.getMetadata().getResourceVersion())) {
                            changes.all().incrementAndGet();
                            if (!String.valueOf(after.getSpec()).contains("routereflector=")) {
                                changes.withoutSection().incrementAndGet();
                            }
                        }
                    }

                    @Override
                    public void onDelete(KubeControllersConfiguration obj, boolean deletedFinalStateUnknown) {
                    }
                });
        watching.startAllRegisteredInformers();
        return changes;
    }
}
