package dev.calicorr.routereflector.apply;

import static dev.calicorr.routereflector.apply.LiveChecks.await;

import dev.calicorr.routereflector.kube.BgpPeer;
import dev.calicorr.testsupport.ControlPlane;
import dev.calicorr.testsupport.ProcessResult;
import io.kubernetes.client.custom.V1Patch;
import io.kubernetes.client.openapi.models.V1Node;
import io.kubernetes.client.openapi.models.V1NodeList;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.util.generic.GenericKubernetesApi;
import io.kubernetes.client.util.generic.options.CreateOptions;
import io.kubernetes.client.util.generic.options.PatchOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Makes the real apiserver refuse the controller's identity, as a cluster's admission
 * configuration would; each waits until the apiserver applies it (probed
 * with server-side dry runs, which write nothing). Every object carries one label, so
 * {@link #removeAll} undoes them.
 */
final class Admission {
    static final String LABEL = "test.calicorr.dev/admission";
    private static final String KINDS = "validatingadmissionpolicies,validatingadmissionpolicybindings,"
            + "validatingwebhookconfigurations,flowschemas.flowcontrol.apiserver.k8s.io,"
            + "prioritylevelconfigurations.flowcontrol.apiserver.k8s.io";
    /** The annotation of a dry-run patch that {@link #holdSeatsAt} makes hang, holding its priority level's seat. */
    static final String HOLD_ANNOTATION = "calico-rr-controller/test-hold";
    private static final String USER = "'" + ControlPlane.CONTROLLER_USER + "'";

    private Admission() {
    }

    /** A ValidatingAdmissionPolicy that denies every BGPPeer create by the controller. */
    static void denyControllerBgpPeerCreates(ControlPlane cp) throws InterruptedException {
        apply(cp, "deny-peer-create", """
                apiVersion: admissionregistration.k8s.io/v1
                kind: ValidatingAdmissionPolicy
                metadata: {name: test-deny-peer-create, labels: {%1$s: "true"}}
                spec:
                  failurePolicy: Fail
                  matchConstraints:
                    resourceRules:
                      - {apiGroups: [crd.projectcalico.org], apiVersions: ["*"], operations: [CREATE], resources: [bgppeers]}
                  validations:
                    - expression: "request.userInfo.username != %2$s"
                      message: "test: BGPPeer creates by the controller are denied"
                ---
                apiVersion: admissionregistration.k8s.io/v1
                kind: ValidatingAdmissionPolicyBinding
                metadata: {name: test-deny-peer-create, labels: {%1$s: "true"}}
                spec: {policyName: test-deny-peer-create, validationActions: [Deny]}
                """.formatted(LABEL, USER));
        await("the policy to deny the controller's BGPPeer creates", () -> !succeeds(probePeerCreate(cp)));
    }

    /** A ValidatingAdmissionPolicy that denies every patch of these nodes by the controller. */
    static void refuseControllerPatchesOf(ControlPlane cp, String... nodes) throws InterruptedException {
        String names = String.join(", ", java.util.Arrays.stream(nodes).map(n -> "'" + n + "'").toList());
        apply(cp, "refuse-nodes", """
                apiVersion: admissionregistration.k8s.io/v1
                kind: ValidatingAdmissionPolicy
                metadata: {name: test-refuse-nodes, labels: {%1$s: "true"}}
                spec:
                  failurePolicy: Fail
                  matchConstraints:
                    resourceRules:
                      - {apiGroups: [""], apiVersions: [v1], operations: [UPDATE], resources: [nodes]}
                  validations:
                    - expression: "request.userInfo.username != %2$s || !(object.metadata.name in [%3$s])"
                      message: "test: this node refuses the controller's patches"
                ---
                apiVersion: admissionregistration.k8s.io/v1
                kind: ValidatingAdmissionPolicyBinding
                metadata: {name: test-refuse-nodes, labels: {%1$s: "true"}}
                spec: {policyName: test-refuse-nodes, validationActions: [Deny]}
                """.formatted(LABEL, USER, names));
        await("the policy to refuse the controller's patches of " + names,
                () -> !succeeds(probeNodePatch(cp, nodes[0])));
    }

    /** A ValidatingAdmissionPolicy that denies the renewals of the leader Lease while {@code holder} holds it. */
    static void denyLeaseRenewalsOf(ControlPlane cp, String holder) {
        apply(cp, "deny-renewals", """
                apiVersion: admissionregistration.k8s.io/v1
                kind: ValidatingAdmissionPolicy
                metadata: {name: test-deny-renewals, labels: {%1$s: "true"}}
                spec:
                  failurePolicy: Fail
                  matchConstraints:
                    resourceRules:
                      - {apiGroups: [coordination.k8s.io], apiVersions: ["*"], operations: [UPDATE], resources: [leases]}
                  validations:
                    - expression: "!(has(oldObject.spec.holderIdentity) && oldObject.spec.holderIdentity == '%2$s'
                        && has(object.spec.holderIdentity) && object.spec.holderIdentity == '%2$s')"
                      message: "test: the renewals of %2$s are denied"
                ---
                apiVersion: admissionregistration.k8s.io/v1
                kind: ValidatingAdmissionPolicyBinding
                metadata: {name: test-deny-renewals, labels: {%1$s: "true"}}
                spec: {policyName: test-deny-renewals, validationActions: [Deny]}
                """.formatted(LABEL, holder));
    }

    /** A webhook on node updates by the controller that nobody serves: the apiserver answers 500. */
    static void failControllerNodePatches(ControlPlane cp, int closedPort) throws InterruptedException {
        apply(cp, "unserved-webhook", """
                apiVersion: admissionregistration.k8s.io/v1
                kind: ValidatingWebhookConfiguration
                metadata: {name: test-unserved, labels: {%1$s: "true"}}
                webhooks:
                  - name: unserved.test.calicorr.dev
                    clientConfig: {url: "https://127.0.0.1:%3$d/validate"}
                    rules: [{apiGroups: [""], apiVersions: [v1], operations: [UPDATE], resources: [nodes]}]
                    failurePolicy: Fail
                    sideEffects: None
                    admissionReviewVersions: [v1]
                    timeoutSeconds: 2
                    matchConditions:
                      - {name: controller-only, expression: "request.userInfo.username == %2$s"}
                """.formatted(LABEL, USER, closedPort));
        await("node patches by the controller to be answered 500", () -> probeNodePatch(cp, null) == 500);
    }

    /**
     * The apiserver's priority and fairness, for the controller's requests with these verbs on
     * nodes: a priority level with no seats of its own that rejects at once (429, with Retry-After)
     * whenever one request of it runs. (With none running, one is let through.) {@link #holdSeatsAt}
     * keeps one running.
     */
    static void throttleControllerNodes(ControlPlane cp, String... verbs) {
        apply(cp, "throttle", """
                apiVersion: flowcontrol.apiserver.k8s.io/v1
                kind: PriorityLevelConfiguration
                metadata: {name: test-throttled, labels: {%1$s: "true"}}
                spec:
                  type: Limited
                  limited:
                    nominalConcurrencyShares: 0
                    lendablePercent: 0
                    borrowingLimitPercent: 0
                    limitResponse: {type: Reject}
                ---
                apiVersion: flowcontrol.apiserver.k8s.io/v1
                kind: FlowSchema
                metadata: {name: test-throttled, labels: {%1$s: "true"}}
                spec:
                  priorityLevelConfiguration: {name: test-throttled}
                  matchingPrecedence: 50
                  distinguisherMethod: {type: ByUser}
                  rules:
                    - subjects: [{kind: User, user: {name: %2$s}}]
                      resourceRules: [{verbs: [%3$s], apiGroups: [""], resources: [nodes], clusterScope: true}]
                """.formatted(LABEL, ControlPlane.CONTROLLER_USER, String.join(", ", verbs)));
    }

    /**
     * A webhook at {@code port} (a socket that accepts and never answers) for the controller's
     * dry-run node patches that carry {@link #HOLD_ANNOTATION}: each such request runs for the
     * webhook's 30 s timeout, then passes.
     */
    static void holdSeatsAt(ControlPlane cp, int port) throws InterruptedException {
        apply(cp, "hold", """
                apiVersion: admissionregistration.k8s.io/v1
                kind: ValidatingWebhookConfiguration
                metadata: {name: test-hold, labels: {%1$s: "true"}}
                webhooks:
                  - name: hold.test.calicorr.dev
                    clientConfig: {url: "https://127.0.0.1:%3$d/validate"}
                    rules: [{apiGroups: [""], apiVersions: [v1], operations: [UPDATE], resources: [nodes]}]
                    failurePolicy: Ignore
                    sideEffects: None
                    admissionReviewVersions: [v1]
                    timeoutSeconds: 30
                    matchConditions:
                      - name: holder-only
                        expression: "request.userInfo.username == %2$s && has(object.metadata.annotations) && '%4$s' in object.metadata.annotations"
                """.formatted(LABEL, USER, port, HOLD_ANNOTATION));
    }

    /** One dry-run patch by the controller that the hold webhook keeps running: its HTTP status. */
    static int holdingPatch(ControlPlane cp, io.kubernetes.client.openapi.ApiClient client, String node) {
        PatchOptions dryRun = new PatchOptions();
        dryRun.setDryRun("All");
        return nodes(client).patch(node, V1Patch.PATCH_FORMAT_JSON_MERGE_PATCH,
                new V1Patch("{\"metadata\":{\"annotations\":{\"" + HOLD_ANNOTATION + "\":\"1\"}}}"), dryRun)
                .getHttpStatusCode();
    }

    /** A node LIST by the controller: its HTTP status. */
    static int probeNodeList(ControlPlane cp) {
        return nodes(cp).list().getHttpStatusCode();
    }

    /** Removes them all and waits until the apiserver admits the controller's writes again. */
    static void removeAll(ControlPlane cp) {
        ProcessResult result = cp.kubectl("delete", KINDS, "-l", LABEL + "=true", "--ignore-not-found", "--wait");
        if (!result.ok()) {
            throw new IllegalStateException("removing the test's admission objects: " + result.stderr());
        }
        try {
            await("the apiserver to admit the controller's writes again", () -> succeeds(probePeerCreate(cp))
                    && nodes(cp.adminClient()).list().getObject().getItems().stream()
                            .allMatch(node -> succeeds(probeNodePatch(cp, node.getMetadata().getName()))));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void apply(ControlPlane cp, String name, String yaml) {
        try {
            Path file = cp.workDir().resolve("admission-" + name + ".yaml");
            Files.writeString(file, yaml);
            ProcessResult result = cp.kubectl("apply", "-f", file.toString());
            if (!result.ok()) {
                throw new IllegalStateException("kubectl apply " + name + ": " + result.stderr());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean succeeds(int code) {
        return code >= 200 && code < 300;
    }

    private static int probePeerCreate(ControlPlane cp) {
        CreateOptions dryRun = new CreateOptions();
        dryRun.setDryRun("All");
        BgpPeer peer = new BgpPeer(new V1ObjectMeta().name("test-admission-probe"), new BgpPeer.Spec("", ""));
        return RouteReflectorController.peers(cp.controllerClient()).create(peer, dryRun).getHttpStatusCode();
    }

    /** A dry-run patch by the controller of a node's (or some node's) test annotation: its HTTP status. */
    private static int probeNodePatch(ControlPlane cp, String node) {
        GenericKubernetesApi<V1Node, V1NodeList> nodes = nodes(cp);
        var listed = nodes(cp.adminClient()).list();
        if (!listed.isSuccess() || listed.getObject().getItems().isEmpty()) {
            throw new IllegalStateException("probing node patches needs a node");
        }
        PatchOptions dryRun = new PatchOptions();
        dryRun.setDryRun("All");
        String name = node != null ? node : listed.getObject().getItems().get(0).getMetadata().getName();
        return nodes.patch(name, V1Patch.PATCH_FORMAT_JSON_MERGE_PATCH,
                new V1Patch("{\"metadata\":{\"annotations\":{\"calico-rr-controller/probe\":\"1\"}}}"), dryRun)
                .getHttpStatusCode();
    }

    private static GenericKubernetesApi<V1Node, V1NodeList> nodes(ControlPlane cp) {
        return nodes(cp.controllerClient());
    }

    private static GenericKubernetesApi<V1Node, V1NodeList> nodes(io.kubernetes.client.openapi.ApiClient client) {
        return new GenericKubernetesApi<>(V1Node.class, V1NodeList.class, "", "v1", "nodes", client);
    }
}
