package dev.calicorr.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.calicorr.testsupport.ControlPlane;
import dev.calicorr.testsupport.ProcessResult;
import dev.calicorr.testsupport.RealControlPlane;
import dev.calicorr.testsupport.SimulatedNodes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@code kube-controllers plan} as users run it: {@code java -jar deploy/target/kube-controllers.jar plan ...}. */
@RealControlPlane
class PlanJarIT {

    private static ProcessResult plan(ControlPlane cp, String... args) throws IOException, InterruptedException {
        Path jar = cp.repo().resolve("deploy/target/kube-controllers.jar");
        List<String> command = new ArrayList<>(List.of(
                Paths.get(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar.toString(), "plan"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).start();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(process.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(process.getErrorStream()));
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("plan finished").isTrue();
        return new ProcessResult(process.exitValue(), out.join(), err.join());
    }

    private static String read(java.io.InputStream stream) {
        try {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void theIssuesExampleAsJsonIsJsonAloneOnStdout(ControlPlane cp) throws Exception {
        ProcessResult multi = plan(cp, "--synthetic", "nodes=5000,zones=3", "--topology", "multi", "-o", "json");

        assertThat(multi.exitCode()).as(multi.stderr()).isZero();
        JsonNode json = new ObjectMapper().readTree(multi.stdout()); // no log line around it
        assertThat(json.get("nodes").get("reflectors").asInt()).isEqualTo(10);
        assertThat(json.get("sessions").get("total").asLong()).isEqualTo(4990 * 3 + 45);
        assertThat(json.get("sessions").get("fullMesh").asLong()).isEqualTo(5000L * 4999 / 2);
    }

    @Test
    void exitCodesAre0PrintedThen1ChangesThen2BadInput(ControlPlane cp) throws Exception {
        new SimulatedNodes(cp.adminClient()).createMany("node", 0, 30, List.of("a", "b", "c"));
        String kubeconfig = cp.adminKubeconfig().toString();

        ProcessResult report = plan(cp, "--kubeconfig", kubeconfig);
        assertThat(report.exitCode()).as(report.stderr()).isZero();
        assertThat(report.stdout()).startsWith("Plan: multi topology for the live cluster at " + cp.url())
                .contains("Nodes: 30 (30 Ready, 30 eligible) -> 3 route reflector(s), 27 client(s)");

        ProcessResult diff = plan(cp, "--kubeconfig", kubeconfig, "--diff");
        assertThat(diff.exitCode()).as(diff.stderr()).isEqualTo(1);
        assertThat(diff.stdout()).startsWith("Decisions: 3");

        ProcessResult bad = plan(cp, "--kubeconfig", kubeconfig, "--set", "routeReflectorsPerNode=0");
        assertThat(bad.exitCode()).isEqualTo(2);
        assertThat(bad.stdout()).isEmpty();
        assertThat(bad.stderr()).isEqualTo("plan: invalid configuration: "
                + "spec.controllers.routereflector.routeReflectorsPerNode: must be at least 1, got 0"
                + System.lineSeparator());
    }
}
