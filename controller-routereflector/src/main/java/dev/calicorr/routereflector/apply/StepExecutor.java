package dev.calicorr.routereflector.apply;

import com.google.gson.Gson;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.calicorr.core.kube.ApiUnavailableException;
import dev.calicorr.core.kube.Responses;
import dev.calicorr.routereflector.datastore.CalicoStore;
import dev.calicorr.routereflector.datastore.KddDatastore;
import dev.calicorr.routereflector.datastore.KddStore;
import dev.calicorr.routereflector.datastore.NodeWrites;
import dev.calicorr.routereflector.kube.CalicoLabels;
import dev.calicorr.routereflector.kube.BgpPeer;
import dev.calicorr.routereflector.kube.BgpPeerList;
import dev.calicorr.routereflector.metrics.RouteReflectorMetrics;
import dev.calicorr.routereflector.model.Names;
import dev.calicorr.routereflector.model.PeerFacts;
import dev.calicorr.routereflector.plan.Step;
import io.kubernetes.client.common.KubernetesObject;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.JSON;
import io.kubernetes.client.openapi.models.V1Node;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.util.generic.GenericKubernetesApi;
import io.kubernetes.client.util.generic.KubernetesApiResponse;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Executes planned {@link Step}s, one API write each, in the planner's order. Node changes are
 * JSON merge patches of only our labels and annotations; BGPPeers are created with our managed-by
 * label and changed by merge patch of their selectors. A throttled (429) or failed (5xx) write is
 * retried inside the step, a few times, as the apiserver asks ({@link Responses#callRetrying}), so a
 * busy apiserver does not stop the plan. In dry-run mode it only logs.
 */
public final class StepExecutor {
    private static final Logger log = LoggerFactory.getLogger(StepExecutor.class);
    /**
     * On every BGPPeer we write: the spec of that write. A spec that no longer matches it was
     * changed by someone else; the object itself says so, to a restarted process or a new leader too.
     */
    public static final String APPLIED_SPEC_ANNOTATION = Names.CONTROLLER_NAME + "/applied-spec";

    private final NodeWrites nodes;
    private final CalicoStore<BgpPeer> peers;
    private final Gson gson;
    private final boolean dryRun;
    private final RouteReflectorMetrics metrics;
    private final PeerNames names;

    /** An executor for peers that all have their planned names (tools and tests that write a plan once). */
    public StepExecutor(ApiClient client, GenericKubernetesApi<BgpPeer, BgpPeerList> peers, boolean dryRun,
            RouteReflectorMetrics metrics) {
        this(KddDatastore.nodeWrites(client), new KddStore<>(peers), dryRun, metrics, new PeerNames(null));
    }

    StepExecutor(NodeWrites nodes, CalicoStore<BgpPeer> peers, boolean dryRun, RouteReflectorMetrics metrics,
            PeerNames names) {
        this.nodes = nodes;
        this.peers = peers;
        this.gson = JSON.getGson();
        this.dryRun = dryRun;
        this.metrics = metrics;
        this.names = names;
    }

    /** A step the API refused; the reconcile stops there and re-plans from what is observed. */
    public static class StepFailedException extends Exception {
        private static final long serialVersionUID = 1L;

        StepFailedException(String message) {
            super(message);
        }
    }

    /** The apiserver refused a node patch (an admission policy or webhook, most often): 4xx but 404. */
    public static final class NodeRefusedException extends StepFailedException {
        private static final long serialVersionUID = 1L;
        private final String node;

        NodeRefusedException(String node, String message) {
            super(message);
            this.node = node;
        }

        public String node() {
            return node;
        }
    }

    /** The node of a patch no longer exists (deleted since the plan was made). */
    public static final class NodeGoneException extends StepFailedException {
        private static final long serialVersionUID = 1L;

        NodeGoneException(String node) {
            super("node " + node + " is gone");
        }
    }

    /**
     * Executes one step.
     *
     * @return the written object (its resourceVersion lets the caller wait for the cache), or
     *         null for a delete or a dry run
     */
    public KubernetesObject execute(Step step) throws ApiUnavailableException, StepFailedException {
        if (dryRun) {
            log.info("dry-run: would {}", step);
            return null;
        }
        if (step instanceof Step.PatchNode patch) {
            return patchNode(patch);
        }
        if (step instanceof Step.CreatePeer create) {
            return createPeer(create.peer());
        }
        if (step instanceof Step.UpdatePeer update) {
            return updatePeer(update.peer(), names.objectName(update.peer().name()));
        }
        return deletePeer(names.objectName(((Step.DeletePeer) step).name()));
    }

    private KubernetesObject patchNode(Step.PatchNode step) throws ApiUnavailableException, StepFailedException {
        JsonObject metadata = new JsonObject();
        if (!step.labels().isEmpty()) {
            metadata.add("labels", mergePatchOf(step.labels()));
        }
        if (!step.annotations().isEmpty()) {
            metadata.add("annotations", mergePatchOf(step.annotations()));
        }
        JsonObject patch = new JsonObject();
        patch.add("metadata", metadata);
        String body = patch.toString();
        KubernetesApiResponse<V1Node> response = Responses.callRetrying("patching node " + step.node(),
                () -> nodes.mergePatch(step.node(), body));
        metrics.write("node", "patch", response.isSuccess());
        if (response.getHttpStatusCode() == 404) {
            throw new NodeGoneException(step.node()); // deleted since the plan was made
        }
        if (!response.isSuccess()) {
            throw new NodeRefusedException(step.node(), "patch node " + step.node() + " refused: "
                    + response.getHttpStatusCode() + " " + Responses.message(response));
        }
        return response.getObject();
    }

    /**
     * Creates the peer under its planned name, or, when a BGPPeer we do not manage holds that name,
     * under {@link PeerNames#renamed}: the other object is left alone and the topology is complete
     * all the same (the caller tells the operator: the returned object has the other name).
     */
    private KubernetesObject createPeer(PeerFacts peer) throws ApiUnavailableException, StepFailedException {
        KubernetesObject created = createPeerNamed(peer, peer.name());
        if (created != null) {
            return created;
        }
        String renamed = PeerNames.renamed(peer.name());
        created = createPeerNamed(peer, renamed);
        if (created == null) {
            throw new StepFailedException("create BGPPeer " + peer.name() + ": BGPPeers " + peer.name() + " and "
                    + renamed + " both exist and are not managed by " + Names.CONTROLLER_NAME
                    + "; they are left alone: rename or delete one of them");
        }
        return created;
    }

    /** @return the created (or, after our own lagging create, updated) object; null when a foreign peer has the name */
    private KubernetesObject createPeerNamed(PeerFacts peer, String name)
            throws ApiUnavailableException, StepFailedException {
        Map<String, String> annotations = new HashMap<>();
        annotations.put(APPLIED_SPEC_ANNOTATION, appliedSpec(peer.nodeSelector(), peer.peerSelector()));
        if (!name.equals(peer.name())) {
            annotations.put(PeerNames.PLANNED_NAME_ANNOTATION, peer.name());
        }
        BgpPeer object = new BgpPeer(new V1ObjectMeta().name(name)
                .labels(Map.of(Names.MANAGED_BY_LABEL, Names.CONTROLLER_NAME)).annotations(annotations),
                new BgpPeer.Spec(peer.nodeSelector(), peer.peerSelector()));
        KubernetesApiResponse<BgpPeer> response = Responses.callRetrying("creating BGPPeer " + name,
                () -> peers.create(object));
        metrics.write("bgppeer", "create", response.isSuccess());
        if (response.getHttpStatusCode() == 409) {
            // Exists already: ours when our cache lagged behind our own create; else someone else's.
            KubernetesApiResponse<BgpPeer> existing = Responses.callRetrying("reading BGPPeer " + name,
                    () -> peers.get(name));
            if (existing.isSuccess() && isOwned(existing.getObject())) {
                return updatePeer(peer, name);
            }
            return null;
        }
        return check(response, "create BGPPeer " + name);
    }

    private KubernetesObject updatePeer(PeerFacts peer, String name) throws ApiUnavailableException, StepFailedException {
        String body = gson.toJson(Map.of(
                "metadata", Map.of("labels", Map.of(Names.MANAGED_BY_LABEL, Names.CONTROLLER_NAME),
                        "annotations", Map.of(APPLIED_SPEC_ANNOTATION,
                                appliedSpec(peer.nodeSelector(), peer.peerSelector()))),
                "spec", Map.of("nodeSelector", peer.nodeSelector(), "peerSelector", peer.peerSelector())));
        KubernetesApiResponse<BgpPeer> response = Responses.callRetrying("patching BGPPeer " + name,
                () -> peers.mergePatch(name, body));
        metrics.write("bgppeer", "patch", response.isSuccess());
        return check(response, "patch BGPPeer " + name);
    }

    private KubernetesObject deletePeer(String name) throws ApiUnavailableException, StepFailedException {
        KubernetesApiResponse<BgpPeer> response = Responses.callRetrying("deleting BGPPeer " + name, () -> peers.delete(name));
        metrics.write("bgppeer", "delete", response.isSuccess());
        if (response.getHttpStatusCode() == 404) {
            return null; // already gone: the goal is reached
        }
        check(response, "delete BGPPeer " + name);
        return null;
    }

    /** A JSON object where a null value is kept as JSON null: in a merge patch it removes the key. */
    private static JsonObject mergePatchOf(Map<String, String> values) {
        JsonObject object = new JsonObject();
        values.forEach((key, value) -> object.add(key, value == null ? JsonNull.INSTANCE : new JsonPrimitive(value)));
        return object;
    }

    private static String appliedSpec(String nodeSelector, String peerSelector) {
        JsonObject spec = new JsonObject();
        spec.addProperty("nodeSelector", nodeSelector);
        spec.addProperty("peerSelector", peerSelector);
        return spec.toString();
    }

    /**
     * Whether someone else changed this peer's spec since our last write of it. False for a peer
     * without our annotation (written before we kept one): then we cannot tell.
     */
    public static boolean changedSinceOurWrite(BgpPeer peer) {
        Map<String, String> annotations = peer.getMetadata().getAnnotations();
        String applied = annotations == null ? null : annotations.get(APPLIED_SPEC_ANNOTATION);
        if (applied == null || peer.getSpec() == null) {
            return false;
        }
        return !applied.equals(appliedSpec(peer.getSpec().getNodeSelector(), peer.getSpec().getPeerSelector()));
    }

    /** Whether the controller may change or delete this peer. */
    /** Ours by the managed-by label, also once Calico's own client rewrote the object (see {@link CalicoLabels}). */
    public static boolean isOwned(BgpPeer peer) {
        return Names.CONTROLLER_NAME.equals(CalicoLabels.of(peer.getMetadata()).get(Names.MANAGED_BY_LABEL));
    }

    private static <T extends KubernetesObject> T check(KubernetesApiResponse<T> response, String what)
            throws StepFailedException {
        if (!response.isSuccess()) {
            throw new StepFailedException(what + " failed: " + response.getHttpStatusCode() + " "
                    + Responses.message(response));
        }
        return response.getObject();
    }
}
