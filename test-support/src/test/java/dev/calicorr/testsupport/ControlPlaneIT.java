package dev.calicorr.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1Node;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Secret;
import io.kubernetes.client.util.generic.dynamic.DynamicKubernetesApi;
import io.kubernetes.client.util.generic.dynamic.DynamicKubernetesObject;
import io.kubernetes.client.util.generic.dynamic.Dynamics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@RealControlPlane
class ControlPlaneIT {

    private static DynamicKubernetesApi bgpPeers(io.kubernetes.client.openapi.ApiClient client) {
        return new DynamicKubernetesApi("crd.projectcalico.org", "v1", "bgppeers", client);
    }

    private static DynamicKubernetesObject peer(String name) {
        return Dynamics.newFromYaml("apiVersion: crd.projectcalico.org/v1\nkind: BGPPeer\nmetadata:\n  name: " + name
                + "\nspec:\n  nodeSelector: all()\n  peerSelector: has(calico-route-reflector)\n");
    }

    @Test
    void anAdminCreatesABgpPeerAndReadsItBack(ControlPlane cp) {
        var created = bgpPeers(cp.adminClient()).create(peer("from-admin"));
        assertThat(created.isSuccess()).as("%s", created.getStatus()).isTrue();
        var read = bgpPeers(cp.adminClient()).get("from-admin");
        assertThat(read.isSuccess()).isTrue();
        assertThat(read.getObject().getRaw().getAsJsonObject("spec").get("peerSelector").getAsString())
                .isEqualTo("has(calico-route-reflector)");
    }

    @Test
    void theControllerIdentityHasWhatOurRbacGrantsAndNothingElse(ControlPlane cp) throws Exception {
        assertThat(bgpPeers(cp.controllerClient()).create(peer("from-controller")).isSuccess()).isTrue();
        assertThat(new CoreV1Api(cp.controllerClient()).listNode().execute().getItems()).isNotNull();

        V1Secret secret = new V1Secret().metadata(new V1ObjectMeta().name("not-allowed"));
        assertThatThrownBy(() -> new CoreV1Api(cp.controllerClient()).createNamespacedSecret("default", secret).execute())
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.getCode()).isEqualTo(403));
        assertThatThrownBy(() -> new CoreV1Api(cp.controllerClient()).deleteNode("any").execute())
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.getCode()).isEqualTo(403));
    }

    @Test
    void theAuditLogRecordsTheControllersWritesOnly(ControlPlane cp) throws Exception {
        int before = cp.controllerWrites().size();
        bgpPeers(cp.adminClient()).create(peer("by-admin"));
        bgpPeers(cp.controllerClient()).create(peer("by-controller"));
        assertThatThrownBy(() -> new CoreV1Api(cp.controllerClient()).deleteNode("any").execute())
                .isInstanceOf(ApiException.class);
        List<AuditedWrite> writes = cp.controllerWrites().subList(before, cp.controllerWrites().size());
        assertThat(writes).extracting(AuditedWrite::verb, AuditedWrite::resource, AuditedWrite::code)
                .containsExactly(tuple("create", "bgppeers", 201), tuple("delete", "nodes", 403));
    }

    @Test
    void attachedByItsKubeconfigTheSameClusterServesTheTestsWithTheControllersServiceAccountToken(ControlPlane cp,
            @TempDir Path dir) throws Exception {
        int before = cp.controllerWrites().size();
        try (ControlPlane attached = ControlPlane.attach(cp.adminKubeconfig(), dir)) {
            assertThat(attached.attached()).isTrue();
            assertThat(attached.url()).isEqualTo(cp.url());
            assertThat(attached.kubectl("get", "crd", "bgppeers.crd.projectcalico.org").exitCode()).isZero();
            // the controller is its ServiceAccount (a TokenRequest token): what our RBAC grants and nothing else
            assertThat(bgpPeers(attached.controllerClient()).create(peer("from-token")).isSuccess()).isTrue();
            V1Secret secret = new V1Secret().metadata(new V1ObjectMeta().name("not-allowed"));
            assertThatThrownBy(() -> new CoreV1Api(attached.controllerClient()).createNamespacedSecret("default", secret)
                    .execute()).isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.getCode()).isEqualTo(403));
            // the audit log is our processes': the attached side skips what needs it
            assertThatThrownBy(attached::controllerWrites).isInstanceOf(org.opentest4j.TestAbortedException.class)
                    .hasMessageContaining("it.kubeconfig");
            assertThatThrownBy(attached::stopApiServer).isInstanceOf(org.opentest4j.TestAbortedException.class);
        }
        assertThat(cp.controllerWrites().subList(before, cp.controllerWrites().size()))
                .extracting(AuditedWrite::verb, AuditedWrite::resource, AuditedWrite::code)
                .contains(tuple("create", "bgppeers", 201));
        assertThat(cp.kubectl("get", "--raw", "/readyz").exitCode()).as("closing the attached side stops nothing").isZero();
    }

    @Test
    void aClusterWithKubeletsIsNotAttachedToBecauseTheResetDeletesEveryNode(ControlPlane cp, @TempDir Path dir) {
        new SimulatedNodes(cp.adminClient()).create(SimulatedNodes.node("with-kubelet"));
        ProcessResult patched = cp.kubectl("patch", "node", "with-kubelet", "--subresource=status", "--type=merge",
                "-p", "{\"status\":{\"nodeInfo\":{\"kubeletVersion\":\"v1.34.4\"}}}");
        assertThat(patched.exitCode()).as(patched.stderr()).isZero();

        assertThatThrownBy(() -> ControlPlane.attach(cp.adminKubeconfig(), dir))
                .isInstanceOf(ControlPlaneException.class)
                .hasMessageContaining("has nodes with a kubelet [with-kubelet]")
                .hasMessageContaining("use a cluster of their own");
    }

    @Test
    void simulatedNodesCarryReadinessCordonAndTaints(ControlPlane cp) {
        SimulatedNodes nodes = new SimulatedNodes(cp.adminClient());
        nodes.create(SimulatedNodes.node("n1").zone("a").unschedulable().taint("example.com/x", "NoSchedule"));
        nodes.create(SimulatedNodes.node("n2").zone("b").ready(false));
        V1Node n1 = nodes.get("n1");
        assertThat(n1.getMetadata().getLabels()).containsEntry(SimulatedNodes.ZONE_LABEL, "a");
        assertThat(n1.getSpec().getUnschedulable()).isTrue();
        assertThat(n1.getSpec().getTaints()).extracting(t -> t.getKey() + ":" + t.getEffect())
                .contains("example.com/x:NoSchedule");
        assertThat(n1.getStatus().getConditions()).anyMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("True"));
        assertThat(nodes.get("n2").getStatus().getConditions())
                .anyMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("Unknown"));

        nodes.setReady("n2", true);
        nodes.cordon("n1", false);
        assertThat(nodes.get("n2").getStatus().getConditions()).anyMatch(c -> c.getStatus().equals("True"));
        assertThat(nodes.get("n1").getSpec().getUnschedulable()).isNull();
    }

    @Test
    void resetLeavesAnEmptyCluster(ControlPlane cp) {
        new SimulatedNodes(cp.adminClient()).createMany("r", 0, 5, java.util.List.of("a", "b"));
        assertThat(bgpPeers(cp.adminClient()).create(peer("leftover")).isSuccess()).isTrue();
        cp.reset();
        assertThat(new SimulatedNodes(cp.adminClient()).list()).isEmpty();
        assertThat(bgpPeers(cp.adminClient()).list().getObject().getItems()).isEmpty();
    }

    @Test
    void aMissingBinaryFailsFastNamingIt(ControlPlane cp, @TempDir Path empty) {
        assertThatThrownBy(() -> ControlPlane.startWith(cp.repo(), empty, empty.resolve("work")))
                .isInstanceOf(ControlPlaneException.class)
                .hasMessageContaining("missing binary " + empty.resolve("etcd"));
    }

    @Test
    void anApiServerThatCannotStartFailsFastWithItsLogTail(ControlPlane cp, @TempDir Path dir) throws Exception {
        // an etcd that exits at once, and an apiserver wrapper that fails with a message
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Files.writeString(bin.resolve("etcd"), "#!/bin/sh\nsleep 60\n");
        Files.writeString(bin.resolve("kube-apiserver"), "#!/bin/sh\necho 'failed to listen: address already in use' >&2\nexit 1\n");
        Files.copy(cp.binDir().resolve("kubectl"), bin.resolve("kubectl"));
        for (String name : new String[] {"etcd", "kube-apiserver"}) {
            bin.resolve(name).toFile().setExecutable(true);
        }
        long started = System.nanoTime();
        assertThatThrownBy(() -> ControlPlane.startWith(cp.repo(), bin, dir.resolve("work")))
                .isInstanceOf(ControlPlaneException.class)
                .hasMessageContaining("kube-apiserver exited with 1")
                .hasMessageContaining("address already in use");
        assertThat((System.nanoTime() - started) / 1e9).as("fails fast, not at the startup timeout").isLessThan(30);
    }
}
