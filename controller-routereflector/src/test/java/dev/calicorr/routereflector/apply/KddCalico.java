package dev.calicorr.routereflector.apply;

import static dev.calicorr.routereflector.apply.LiveChecks.configs;
import static dev.calicorr.routereflector.apply.LiveChecks.peers;
import static dev.calicorr.routereflector.apply.LiveChecks.statuses;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.calicorr.routereflector.kube.CalicoNodeStatus;
import dev.calicorr.routereflector.model.ClusterSnapshot;
import dev.calicorr.routereflector.model.Names;
import dev.calicorr.testsupport.ControlPlane;
import dev.calicorr.testsupport.ProcessResult;
import dev.calicorr.testsupport.SimulatedNodes;
import dev.calicorr.testsupport.bgp.CalicoParts;
import io.kubernetes.client.custom.V1Patch;
import io.kubernetes.client.openapi.apis.CustomObjectsApi;
import io.kubernetes.client.util.PatchUtils;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** KDD: the Kubernetes Node is the Calico Node; BGPPeers and {@code default} are CRs. */
record KddCalico(ControlPlane cp) implements Calico {
    @Override
    public Map<String, String> environment() {
        return Map.of("DATASTORE_TYPE", "kubernetes");
    }

    @Override
    public void createConfiguration(Map<String, Object> section) {
        LiveChecks.createConfiguration(cp, section);
    }

    @Override
    public void editSection(String json) {
        LiveChecks.editSection(cp, json);
    }

    @Override
    public JsonNode configuration() throws Exception {
        var got = configs(cp).get("default");
        return got.isSuccess() ? JSON.readTree(cp.adminClient().getJSON().serialize(got.getObject()))
                : JSON.missingNode();
    }

    @Override
    public JsonNode rewriteConfigurationWithCalicoctl(String logSeverityScreen) throws Exception {
        return Calico.rewriteWithCalicoctl(CalicoParts.build(cp.repo()).bin("calicoctl"), cp.workDir(),
                Map.of("DATASTORE_TYPE", "kubernetes", "KUBECONFIG", cp.adminKubeconfig().toString()),
                logSeverityScreen);
    }

    /** calico-node's BGP address annotation (as it writes at start in KDD). */
    @Override
    public void register(List<String> nodes) {
        SimulatedNodes kubernetes = new SimulatedNodes(cp.adminClient());
        nodes.forEach(node -> kubernetes.annotate(node, Names.IPV4_ADDRESS_ANNOTATION, Calico.address(node) + "/32"));
    }

    @Override
    public Map<String, OurStatus> ourStatuses() {
        Map<String, OurStatus> ours = new java.util.TreeMap<>();
        for (CalicoNodeStatus status : statuses(cp).list().getObject().getItems()) {
            if (SessionChecks.isOwned(status)) {
                ours.put(status.getMetadata().getName(), new OurStatus(status.getSpec().getNode(),
                        status.getStatus() != null && status.getStatus().getLastUpdated() != null));
            }
        }
        return ours;
    }

    @Override
    public void reportEstablished(String status, List<String> peerIps) throws Exception {
        V1Patch patch = new V1Patch(JSON.writeValueAsString(Map.of("status", Calico.established(peerIps))));
        PatchUtils.patch(Object.class, () -> new CustomObjectsApi(cp.adminClient()).patchClusterCustomObjectStatus(
                "crd.projectcalico.org", "v1", CalicoNodeStatus.PLURAL, status, patch).buildCall(null),
                V1Patch.PATCH_FORMAT_JSON_MERGE_PATCH, cp.adminClient());
    }

    @Override
    public void createUserPeer() throws Exception {
        ProcessResult applied = cp.kubectl("apply", "-f", yaml(cp, "apiVersion: crd.projectcalico.org/v1\n"
                + "kind: BGPPeer\nmetadata:\n  name: user-peer\nspec:\n  peerIP: 198.18.9.9\n  asNumber: 64512\n")
                .toString());
        assertThat(applied.ok()).as(applied.stderr()).isTrue();
    }

    @Override
    public JsonNode userPeer() throws Exception {
        ProcessResult got = cp.kubectl("get", "bgppeers.crd.projectcalico.org", "user-peer", "-o", "json");
        assertThat(got.ok()).as(got.stderr()).isTrue();
        return JSON.readTree(got.stdout());
    }

    @Override
    public ClusterSnapshot observed(ControlPlane cp) {
        return LiveChecks.observed(cp);
    }

    @Override
    public Object writes(ControlPlane cp) {
        return cp.controllerWrites().stream().filter(w -> Set.of("nodes", "bgppeers").contains(w.resource())).count();
    }

    /** Read from the Kubernetes Nodes and BGPPeer CRs: that is where the snapshot came from. */
    @Override
    public void checkWhereOursIs(ControlPlane cp, ClusterSnapshot snapshot) {
        assertThat(peers(cp).list().getObject().getItems()).hasSize(snapshot.ownedPeers().size() + 1);
    }

    @Override
    public boolean meshOn() {
        return LiveChecks.meshOn(cp);
    }

    @Override
    public void close() {
    }

    private static Path yaml(ControlPlane cp, String text) throws Exception {
        Path file = Files.createTempFile(cp.workDir(), "calico", ".yaml");
        Files.writeString(file, text);
        return file;
    }
}
