package dev.calicorr.routereflector.apply;

import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.calicorr.core.kube.ApiUnavailableException;
import dev.calicorr.core.kube.CalicoApi;
import dev.calicorr.core.kube.Responses;
import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.datastore.CalicoStore;
import dev.calicorr.routereflector.kube.BgpConfiguration;
import dev.calicorr.routereflector.metrics.RouteReflectorMetrics;
import dev.calicorr.routereflector.model.ClusterSnapshot;
import dev.calicorr.routereflector.model.Names;
import dev.calicorr.routereflector.model.NodeFacts;
import dev.calicorr.routereflector.model.SessionFacts;
import dev.calicorr.routereflector.plan.Plan;
import io.kubernetes.client.extended.event.EventType;
import io.kubernetes.client.extended.event.legacy.EventRecorder;
import io.kubernetes.client.informer.cache.Indexer;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1ObjectReference;
import io.kubernetes.client.util.generic.KubernetesApiResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The opt-in hand-off of Calico's node-to-node mesh ({@code manageNodeToNodeMesh: true}). Turns
 * {@code nodeToNodeMeshEnabled} off in {@code BGPConfiguration/default} only once the route
 * reflector topology is in place (no step left), every route reflector has served for
 * {@code removalDelay} and, where calico-node reports sessions (CalicoNodeStatus), every route
 * reflector has all its sessions Established and every client has at least one Established
 * session with a route reflector, in reports that show BIRD after the controller's last write (the
 * break gate's rule: {@link BreakGate#showsBirdAfter}); where calico-node does not report sessions, once
 * {@code sessionSettleDelay} has passed since the last write. Turns it back on when the topology
 * cannot be kept (no eligible node, no Ready route reflector), when {@code manageNodeToNodeMesh} is switched off, or when the
 * controller is disabled; what the field was before is kept in the annotation
 * {@value Names#MESH_BEFORE_ANNOTATION}, so only what we changed is ever restored, by whichever
 * replica leads. Runs only in the leader's reconcile (never on a standby), never on a shutdown or a
 * change of leader, and never on a reconcile that failed (an API outage): a flip of the mesh moves
 * every BGP session of the cluster, so it happens only on purpose.
 */
final class MeshHandOff {
    private static final Logger log = LoggerFactory.getLogger(MeshHandOff.class);
    static final String UNSET = "unset";
    private static final int LISTED = 3;

    private final Indexer<BgpConfiguration> cache;
    private final CalicoStore<BgpConfiguration> api;
    private final EventRecorder events;
    private final RouteReflectorMetrics metrics;
    private final boolean dryRun;
    private String lastNote = "";
    private String lastRefusal = "";
    private long writtenVersion = -1;

    enum Action { NONE, TURN_OFF, RESTORE }

    /**
     * What to do with the mesh now, and why.
     *
     * @param warning for a restore: the topology cannot be kept (a Warning Event, not a Normal one)
     */
    record Decision(Action action, String reason, boolean warning, Optional<Duration> recheckAfter) {
        static Decision none(String note) {
            return new Decision(Action.NONE, note, false, Optional.empty());
        }
    }

    MeshHandOff(Indexer<BgpConfiguration> cache, CalicoStore<BgpConfiguration> api, EventRecorder events,
            RouteReflectorMetrics metrics, boolean dryRun) {
        this.cache = cache;
        this.api = api;
        this.events = events;
        this.metrics = metrics;
        this.dryRun = dryRun;
    }

    /** The annotation that says we turned the mesh off, and what it was before; null when we did not. */
    static String ours(BgpConfiguration configuration) {
        if (configuration == null) {
            return null;
        }
        Map<String, String> annotations = configuration.getMetadata().getAnnotations();
        return annotations == null ? null : annotations.get(Names.MESH_BEFORE_ANNOTATION);
    }

    /** Pure: what to do, from the cached BGPConfiguration/default (null when there is none) and this reconcile. */
    static Decision decide(BgpConfiguration current, RouteReflectorConfig config, boolean disabled, Plan plan,
            ClusterSnapshot snapshot, SessionChecks.Observation sessions, Instant lastWrite, Instant now) {
        String ours = ours(current);
        boolean meshOn = current == null || current.meshEnabled();
        if (disabled || !config.manageNodeToNodeMesh()) {
            String why = disabled ? "the routereflector controller is disabled"
                    : "manageNodeToNodeMesh is off";
            return ours != null ? new Decision(Action.RESTORE, why, false, Optional.empty()) : Decision.none("");
        }
        String rrKey = config.routeReflectorLabelKey();
        List<NodeFacts> reflectors = snapshot.nodes().stream().filter(n -> n.ready() && n.labels().containsKey(rrKey)
                && n.annotations().containsKey(Names.CLUSTER_ID_ANNOTATION)).toList();
        String cannotKeep = plan.summary().eligible() == 0 ? "no node is eligible to be a route reflector"
                : reflectors.isEmpty() ? "no route reflector is Ready" : null;
        if (cannotKeep != null) {
            if (!meshOn && ours != null) {
                return new Decision(Action.RESTORE, "the route reflector topology cannot be kept: " + cannotKeep, true,
                        Optional.empty());
            }
            return Decision.none(meshOn ? "the node-to-node mesh stays on: " + cannotKeep
                    : "the node-to-node mesh is off but not by us: left alone (" + cannotKeep + ")");
        }
        if (!meshOn) {
            return Decision.none(ours != null ? "" : "the node-to-node mesh was turned off by someone else: left as it is"
                    + " and never turned on by us");
        }
        if (!plan.steps().isEmpty()) {
            return Decision.none("the node-to-node mesh stays on until the route reflector topology is in place");
        }
        Duration wait = Duration.ZERO;
        for (NodeFacts rr : reflectors) {
            Instant since = rr.servingSince();
            Duration left = since == null ? config.removalDelay() : Duration.between(now, since.plus(config.removalDelay()));
            if (left.compareTo(wait) > 0) {
                wait = left;
            }
        }
        if (wait.compareTo(Duration.ZERO) > 0) {
            return new Decision(Action.NONE, "the node-to-node mesh stays on until every route reflector has served for "
                    + config.removalDelay().toSeconds() + "s", false, Optional.of(wait));
        }
        Instant settled = lastWrite.plus(config.sessionSettleDelay());
        if (!sessions.available() && sessions.state() != SessionChecks.State.WAITING && now.isBefore(settled)) {
            return new Decision(Action.NONE, "the node-to-node mesh stays on until sessionSettleDelay ("
                    + dev.calicorr.core.config.ConfigValues.formatDuration(config.sessionSettleDelay()) + ") has passed "
                    + "since the last change: calico-node does not report BGP sessions here", false,
                    Optional.of(Duration.between(now, settled)));
        }
        if (sessions.state() == SessionChecks.State.WAITING) {
            return new Decision(Action.NONE, "the node-to-node mesh stays on until calico-node reports the BGP sessions "
                    + "of the route reflectors (CalicoNodeStatus)", false, sessions.recheckAfter());
        }
        if (sessions.available()) {
            // a report calico-node wrote before our last write may show sessions that write restarts
            List<String> stale = reflectors.stream().map(NodeFacts::name)
                    .filter(rr -> !BreakGate.showsBirdAfter(sessions.peers().reportSeen().get(rr), lastWrite, now))
                    .sorted().toList();
            if (!stale.isEmpty()) {
                return new Decision(Action.NONE, "the node-to-node mesh stays on until calico-node reports BGP after the "
                        + "last change (a CalicoNodeStatus written before it does not count): " + listed(stale), false,
                        Optional.of(Duration.between(now, lastWrite.plus(BreakGate.REPORT_HOLDS))));
            }
            List<String> unready = new ArrayList<>();
            for (NodeFacts rr : reflectors) {
                SessionFacts facts = sessions.perReflector().get(rr.name());
                if (facts == null) {
                    unready.add(rr.name() + " (no BGP status yet)");
                } else if (facts.established() == 0 || facts.pending() > 0) {
                    unready.add(rr.name() + " (" + facts.established() + " Established, " + facts.pending()
                            + " coming up)");
                }
            }
            if (!unready.isEmpty()) {
                return Decision.none("the node-to-node mesh stays on until the BGP sessions of every route reflector are "
                        + "Established: " + listed(unready));
            }
            List<String> unserved = snapshot.nodes().stream().filter(n -> n.ready() && !n.labels().containsKey(rrKey)
                    && hasBgpAddress(n) && !sessions.servedClients().contains(n.name())).map(NodeFacts::name).sorted()
                    .toList();
            if (!unserved.isEmpty()) {
                return Decision.none("the node-to-node mesh stays on: " + unserved.size() + " client node(s) have no "
                        + "Established BGP session with a route reflector: " + listed(unserved));
            }
        }
        String reason = "the route reflector topology is in place (" + reflectors.size() + " route reflector(s) serving"
                + (sessions.available() ? ", their BGP sessions Established, every client served)"
                        : "; BGP sessions not checked: " + (sessions.state() == SessionChecks.State.SILENT
                                ? "calico-node does not report CalicoNodeStatus)" : "no CalicoNodeStatus CRD)"));
        return new Decision(Action.TURN_OFF, reason, false, Optional.empty());
    }

    /**
     * Decides and acts. Called at the end of a reconcile that did not fail.
     *
     * @return when to look again, if a timed condition is pending
     */
    Optional<Duration> reconcile(RouteReflectorConfig config, boolean disabled, Plan plan, ClusterSnapshot snapshot,
            SessionChecks.Observation sessions, Instant lastWrite, Instant now) throws ApiUnavailableException {
        BgpConfiguration current = cache.getByKey(BgpConfiguration.DEFAULT_NAME);
        if (current != null && version(current) < writtenVersion) {
            return Optional.of(Duration.ofSeconds(1)); // our last write is not in the cache yet
        }
        metrics.mesh(current == null || current.meshEnabled());
        Decision decision = disabled ? decide(current, config, true, null, null, null, now, now)
                : decide(current, config, false, plan, snapshot, sessions, lastWrite, now);
        if (decision.action() == Action.NONE) {
            if (!decision.reason().isEmpty() && !decision.reason().equals(lastNote)) {
                log.info("{}", decision.reason());
            }
            lastNote = decision.reason();
            return decision.recheckAfter();
        }
        lastNote = "";
        if (dryRun) {
            log.info("dry-run: would turn the node-to-node mesh {} reason=\"{}\"",
                    decision.action() == Action.TURN_OFF ? "off" : "back on", decision.reason());
            return Optional.empty();
        }
        return decision.action() == Action.TURN_OFF ? turnOff(current, decision) : restore(current, decision);
    }

    private Optional<Duration> turnOff(BgpConfiguration current, Decision decision) throws ApiUnavailableException {
        String before = ours(current);
        if (before == null) {
            Boolean field = current == null || current.getSpec() == null ? null : current.getSpec().getNodeToNodeMeshEnabled();
            before = field == null ? UNSET : "true";
        } else {
            log.warn("the node-to-node mesh was turned on by someone else while manageNodeToNodeMesh is true: turning "
                    + "it off again (set manageNodeToNodeMesh: false to keep it on)");
        }
        KubernetesApiResponse<BgpConfiguration> response;
        if (current == null) {
            BgpConfiguration created = new BgpConfiguration(new V1ObjectMeta().name(BgpConfiguration.DEFAULT_NAME)
                    .annotations(Map.of(Names.MESH_BEFORE_ANNOTATION, UNSET)), new BgpConfiguration.Spec(false));
            response = Responses.call("creating BGPConfiguration/default", () -> api.create(created));
            metrics.write("bgpconfiguration", "create", response.isSuccess());
        } else {
            JsonObject patch = patch(current, before, new JsonPrimitive(false));
            response = Responses.call("patching BGPConfiguration/default", () -> api.mergePatch(BgpConfiguration.DEFAULT_NAME,
                    patch.toString()));
            metrics.write("bgpconfiguration", "patch", response.isSuccess());
        }
        if (!response.isSuccess()) {
            return refused(response, "turn the node-to-node mesh off", current);
        }
        written(response.getObject());
        metrics.mesh(false);
        log.info("turned Calico's node-to-node mesh off in BGPConfiguration/default reason=\"{}\" (it was {})",
                decision.reason(), UNSET.equals(before) ? "unset, i.e. on" : "true");
        events.event(reference(response.getObject()), EventType.Normal, "NodeToNodeMeshDisabled", "%s",
                "calico-rr-controller turned nodeToNodeMeshEnabled off: " + decision.reason());
        return Optional.empty();
    }

    private Optional<Duration> restore(BgpConfiguration current, Decision decision) throws ApiUnavailableException {
        String before = ours(current);
        JsonObject patch = patch(current, null, "true".equals(before) ? new JsonPrimitive(true) : JsonNull.INSTANCE);
        KubernetesApiResponse<BgpConfiguration> response = Responses.call("patching BGPConfiguration/default",
                () -> api.mergePatch(BgpConfiguration.DEFAULT_NAME, patch.toString()));
        metrics.write("bgpconfiguration", "patch", response.isSuccess());
        if (!response.isSuccess()) {
            return refused(response, "turn the node-to-node mesh back on", current);
        }
        written(response.getObject());
        metrics.mesh(true);
        String restored = "true".equals(before) ? "true" : "unset (on)";
        if (decision.warning()) {
            log.warn("turned Calico's node-to-node mesh back on in BGPConfiguration/default reason=\"{}\" "
                    + "(nodeToNodeMeshEnabled {} as before)", decision.reason(), restored);
        } else {
            log.info("turned Calico's node-to-node mesh back on in BGPConfiguration/default reason=\"{}\" "
                    + "(nodeToNodeMeshEnabled {} as before)", decision.reason(), restored);
        }
        events.event(reference(response.getObject()), decision.warning() ? EventType.Warning : EventType.Normal,
                "NodeToNodeMeshRestored", "%s", "calico-rr-controller turned the node-to-node mesh back on ("
                        + "nodeToNodeMeshEnabled " + restored + " as before): " + decision.reason());
        return Optional.empty();
    }

    /**
     * A merge patch of only our annotation and the field, with the resourceVersion we decided on as
     * a precondition: a concurrent edit makes it fail (409) and the next reconcile decides again.
     */
    private static JsonObject patch(BgpConfiguration current, String before, com.google.gson.JsonElement field) {
        JsonObject annotations = new JsonObject();
        annotations.add(Names.MESH_BEFORE_ANNOTATION, before == null ? JsonNull.INSTANCE : new JsonPrimitive(before));
        JsonObject metadata = new JsonObject();
        metadata.addProperty("resourceVersion", current.getMetadata().getResourceVersion());
        metadata.add("annotations", annotations);
        JsonObject spec = new JsonObject();
        spec.add("nodeToNodeMeshEnabled", field);
        JsonObject patch = new JsonObject();
        patch.add("metadata", metadata);
        patch.add("spec", spec);
        return patch;
    }

    private Optional<Duration> refused(KubernetesApiResponse<BgpConfiguration> response, String what,
            BgpConfiguration current) {
        int code = response.getHttpStatusCode();
        if (code == 409) {
            return Optional.of(Duration.ofSeconds(1)); // changed under us (or our cache lags): decide again
        }
        String message = code + " " + Responses.message(response);
        if (!message.equals(lastRefusal)) {
            lastRefusal = message;
            log.warn("could not {} in BGPConfiguration/default: {}", what, message);
            if (code == 422 && current != null) {
                events.event(reference(current), EventType.Warning, "NodeToNodeMeshHandOffRefused", "%s",
                        "calico-rr-controller could not " + what + ": " + Responses.message(response));
            }
        }
        return Optional.empty();
    }

    private void written(BgpConfiguration object) {
        lastRefusal = "";
        writtenVersion = object == null ? -1 : version(object);
    }

    private static long version(BgpConfiguration object) {
        try {
            return Long.parseLong(object.getMetadata().getResourceVersion());
        } catch (NumberFormatException | NullPointerException e) {
            return -1;
        }
    }

    private static V1ObjectReference reference(BgpConfiguration object) {
        V1ObjectReference ref = new V1ObjectReference().apiVersion(CalicoApi.API_VERSION).kind(BgpConfiguration.KIND)
                .name(BgpConfiguration.DEFAULT_NAME);
        if (object != null && object.getMetadata() != null) {
            ref.uid(object.getMetadata().getUid());
        }
        return ref;
    }

    private static boolean hasBgpAddress(NodeFacts node) {
        return node.annotations().containsKey(Names.IPV4_ADDRESS_ANNOTATION)
                || node.annotations().containsKey(Names.IPV6_ADDRESS_ANNOTATION);
    }

    private static String listed(List<String> items) {
        return items.size() <= LISTED ? String.join(", ", items)
                : String.join(", ", items.subList(0, LISTED)) + " and " + (items.size() - LISTED) + " more";
    }

}
