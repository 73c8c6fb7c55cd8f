package dev.calicorr.routereflector.apply;

import static dev.calicorr.routereflector.apply.LiveChecks.ZONES;
import static dev.calicorr.routereflector.apply.LiveChecks.awaitTopology;
import static dev.calicorr.routereflector.apply.LiveChecks.configs;
import static dev.calicorr.routereflector.apply.LiveChecks.createConfiguration;
import static dev.calicorr.routereflector.apply.LiveChecks.newHost;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.calicorr.core.kube.KubeControllersConfiguration;
import dev.calicorr.core.runtime.Host;
import dev.calicorr.routereflector.RouteReflectorPlugin;
import dev.calicorr.testsupport.ControlPlane;
import dev.calicorr.testsupport.RealControlPlane;
import dev.calicorr.testsupport.SimulatedNodes;
import io.kubernetes.client.custom.V1Patch;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoordinationV1Api;
import io.kubernetes.client.openapi.models.V1Lease;
import io.kubernetes.client.openapi.models.V1Node;
import io.kubernetes.client.openapi.models.V1NodeList;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.util.generic.GenericKubernetesApi;
import io.kubernetes.client.util.generic.KubernetesApiResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The controller's identity under deploy/rbac.yaml and deploy/node-policy.yaml (the control plane
 * applies both): the controller converges, and what it never needs is refused.
 */
@RealControlPlane
class LeastPrivilegeIT {
    private Host host;

    @AfterEach
    void stop() {
        if (host != null) {
            host.close();
        }
    }

    private static KubernetesApiResponse<V1Node> patchAsController(ControlPlane cp, String node, String patch) {
        return new GenericKubernetesApi<>(V1Node.class, V1NodeList.class, "", "v1", "nodes", cp.controllerClient())
                .patch(node, V1Patch.PATCH_FORMAT_JSON_MERGE_PATCH, new V1Patch(patch));
    }

    @Test
    void theControllerConvergesUnderThePolicyAndItsOwnKeysAreAllItMayChange(ControlPlane cp) throws Exception {
        new SimulatedNodes(cp.adminClient()).createMany("node", 0, 9, ZONES);
        Map<String, Object> section = Map.of("removalDelay", "1s");
        createConfiguration(cp, section);
        host = newHost(cp, new RouteReflectorPlugin(), "it", Duration.ofSeconds(4));
        host.start();
        awaitTopology(cp, section, 3);

        assertThat(patchAsController(cp, "node-004",
                "{\"metadata\":{\"labels\":{\"calico-rr-controller/rr-group\":\"9\"}}}").isSuccess()).isTrue();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiterString = "=>", value = {
        "another label      => {\"metadata\":{\"labels\":{\"example.com/role\":\"x\"}}}",
        "removing a label   => {\"metadata\":{\"labels\":{\"topology.kubernetes.io/zone\":null}}}",
        "another annotation => {\"metadata\":{\"annotations\":{\"example.com/note\":\"x\"}}}",
        "a scale-down annotation but true => {\"metadata\":{\"annotations\":{\"karpenter.sh/do-not-disrupt\":\"false\"}}}",
        "the spec           => {\"spec\":{\"unschedulable\":true}}",
        "a finalizer        => {\"metadata\":{\"finalizers\":[\"example.com/hold\"]}}",
    })
    void aNodePatchOfAnythingElseByTheControllerIsDenied(String what, String patch, ControlPlane cp) {
        new SimulatedNodes(cp.adminClient()).createMany("node", 0, 1, ZONES);
        KubernetesApiResponse<V1Node> response = patchAsController(cp, "node-000", patch);
        assertThat(response.getHttpStatusCode()).as(what).isIn(403, 422);
        assertThat(String.valueOf(response.getStatus().getMessage())).contains("calico-rr-controller-node-keys");
    }

    @Test
    void onlyOurLeaseAndOnlyTheVerbsTheCodeCalls(ControlPlane cp) throws Exception {
        CoordinationV1Api leases = new CoordinationV1Api(cp.controllerClient());
        V1Lease other = new V1Lease().metadata(new V1ObjectMeta().name("someone-elses").namespace("kube-system"));
        new CoordinationV1Api(cp.adminClient()).createNamespacedLease("kube-system", other).execute();
        try {
            assertForbidden(() -> leases.readNamespacedLease("someone-elses", "kube-system").execute());
            assertForbidden(() -> leases.replaceNamespacedLease("someone-elses", "kube-system", other).execute());
            assertForbidden(() -> leases.listNamespacedLease("kube-system").execute());
        } finally {
            new CoordinationV1Api(cp.adminClient()).deleteNamespacedLease("someone-elses", "kube-system").execute();
        }
        createConfiguration(cp, Map.of());
        KubeControllersConfiguration current = configs(cp).get("default").getObject();
        GenericKubernetesApi<KubeControllersConfiguration, ?> asController =
                dev.calicorr.core.kube.ConfigurationStore.api(cp.controllerClient());
        assertThat(asController.update(current).getHttpStatusCode()).as("KubeControllersConfiguration update")
                .isEqualTo(403);
    }

    private static void assertForbidden(org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.getCode()).isEqualTo(403));
    }
}
