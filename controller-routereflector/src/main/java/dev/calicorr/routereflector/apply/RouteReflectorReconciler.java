package dev.calicorr.routereflector.apply;

import dev.calicorr.core.config.ConfigValues;
import dev.calicorr.core.kube.ApiUnavailableException;
import dev.calicorr.core.kube.CalicoApi;
import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.kube.BgpPeer;
import dev.calicorr.routereflector.kube.LiveCluster;
import dev.calicorr.routereflector.kube.NodeFactsCache;
import dev.calicorr.routereflector.metrics.RouteReflectorMetrics;
import dev.calicorr.routereflector.model.ClusterSnapshot;
import dev.calicorr.routereflector.model.Names;
import dev.calicorr.routereflector.model.NodeFacts;
import dev.calicorr.routereflector.plan.Decision;
import dev.calicorr.routereflector.plan.Plan;
import dev.calicorr.routereflector.plan.Planner;
import dev.calicorr.routereflector.plan.Step;
import dev.calicorr.routereflector.sim.Bgp;
import dev.calicorr.routereflector.sim.ClusterModel;
import io.kubernetes.client.common.KubernetesObject;
import io.kubernetes.client.extended.controller.reconciler.Reconciler;
import io.kubernetes.client.extended.controller.reconciler.Request;
import io.kubernetes.client.extended.controller.reconciler.Result;
import io.kubernetes.client.extended.event.EventType;
import io.kubernetes.client.extended.event.legacy.EventRecorder;
import io.kubernetes.client.informer.cache.Indexer;
import io.kubernetes.client.openapi.models.V1Node;
import io.kubernetes.client.openapi.models.V1ObjectReference;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One reconcile: read the informer caches (no LIST), plan, execute the steps in order, wait until
 * the caches show our writes (so the next plan does not repeat them), and say when to look again.
 * Never throws: API trouble is logged and retried with backoff; a half-applied plan is safe
 * because every prefix of the step order is (see the planner's invariants).
 */
public final class RouteReflectorReconciler implements Reconciler {
    /** Every event maps to this one key, so bursts of events coalesce into one reconcile. */
    public static final Request KEY = new Request("routereflector");
    private static final Logger log = LoggerFactory.getLogger(RouteReflectorReconciler.class);
    private static final Duration CACHE_WAIT = Duration.ofSeconds(5);
    private static final Duration MIN_RECHECK = Duration.ofMillis(200);
    /**
     * How long the nodes' eligibility must stay unchanged before a serving route reflector is
     * replaced: a drain of a node pool cordons its nodes one after another within a second or two,
     * and a successor chosen in the middle of it is often the next node cordoned.
     */
    static final Duration ELIGIBILITY_SETTLE = Duration.ofSeconds(3);

    private final Indexer<V1Node> nodes;
    private final NodeFactsCache nodeFacts = new NodeFactsCache();
    private final Indexer<BgpPeer> peers;
    private final PeerNames peerNames;
    private final Supplier<RouteReflectorConfig> config;
    private final StepExecutor executor;
    private final EventRecorder events;
    private final RouteReflectorMetrics metrics;
    private final LegacyPeers legacyPeers;
    private final TopologyReport topologyReport;
    private final SessionChecks sessionChecks;
    private final MeshHandOff meshHandOff;
    private final boolean dryRun;
    private final Clock clock;
    /** The host's leadership fence, asked before every write of a plan. */
    private final BooleanSupplier mayWrite;
    private volatile boolean disabled;
    private final AtomicReference<List<String>> lastWarnings = new AtomicReference<>(List.of());
    private volatile StepHook stepHook = step -> { };
    /** When we last wrote a step; a new leader starts as if it had just written one (sessions may be coming up). */
    private Instant lastWrite;
    /**
     * Since when break steps are held back (null: they are not): one log line and Event per wait,
     * however the plan changes while it lasts (e.g. a demotion falls due meanwhile).
     */
    private Instant heldSince;
    private final LeaderObservations observations;
    /** A client refused its move in this reconcile: what it may still peer through is kept (both phases). */
    private boolean clientLeftBehind;
    /** The steps this reconcile may still write (maxStepsPerReconcile at its start). */
    private int stepsLeft;
    /** This reconcile stopped at maxStepsPerReconcile with steps of its plan left: the next one re-plans. */
    private boolean capped;
    /** the snapshot this reconcile planned on and the steps it wrote, for the session-change counter */
    private ClusterSnapshot plannedOn;
    private final List<Step> executed = new ArrayList<>();
    /** The nodes that may be route reflectors, as the last reconcile saw them (null before the first). */
    private Set<String> eligibleSeen;
    /** When a node of {@link #eligibleSeen} was last seen to lose its eligibility (cordoned, NotReady, gone...). */
    private Instant eligibilityLost = Instant.EPOCH;
    /** Since when promotions wait for eligibility to settle (null: they do not); one log line per wait. */
    private Instant settlingSince;

    /** This replica may no longer write (it lost the Lease, or it is stopping): the next leader carries on. */
    private static final class FencedException extends Exception {
        private static final long serialVersionUID = 1L;

        FencedException(String message) {
            super(message);
        }
    }

    /** The plan is stale (a node it promotes is gone or refused): plan again at once. */
    private static final class ReplanException extends Exception {
        private static final long serialVersionUID = 1L;

        ReplanException(String message) {
            super(message);
        }
    }

    /** Test seam: runs before each step is executed (fault tests stop the controller mid-plan). */
    public interface StepHook {
        void beforeStep(Step step);
    }

    RouteReflectorReconciler(Indexer<V1Node> nodes, Indexer<BgpPeer> peers, Supplier<RouteReflectorConfig> config,
            StepExecutor executor, EventRecorder events, RouteReflectorMetrics metrics, LegacyPeers legacyPeers,
            TopologyReport topologyReport, SessionChecks sessionChecks, MeshHandOff meshHandOff, boolean dryRun,
            Clock clock, BooleanSupplier mayWrite) {
        this.nodes = nodes;
        this.peers = peers;
        this.peerNames = new PeerNames(peers);
        this.observations = new LeaderObservations(nodes);
        this.config = config;
        this.executor = executor;
        this.events = events;
        this.metrics = metrics;
        this.legacyPeers = legacyPeers;
        this.topologyReport = topologyReport;
        this.sessionChecks = sessionChecks;
        this.meshHandOff = meshHandOff;
        this.dryRun = dryRun;
        this.clock = clock;
        this.mayWrite = mayWrite;
    }

    /**
     * Disabled (the host says so): the topology is left as it is, but what must not outlive the
     * controller is undone: the mesh we turned off comes back, our CalicoNodeStatuses go.
     */
    void setDisabled(boolean value) {
        disabled = value;
    }

    public void setStepHook(StepHook hook) {
        this.stepHook = Objects.requireNonNull(hook);
    }

    @Override
    public Result reconcile(Request request) {
        long started = System.nanoTime();
        RouteReflectorConfig current = config.get();
        try {
            Instant now = clock.instant();
            if (disabled) {
                meshHandOff.reconcile(current, true, null, null, null, now, now);
                sessionChecks.deleteAll(dryRun);
                return new Result(true, current.reconcilerPeriod());
            }
            if (lastWrite == null) {
                lastWrite = now;
            }
            List<V1Node> nodeList = nodes.list();
            SessionChecks.Observation sessions = sessionChecks.observe(nodeList, current, now);
            ClusterSnapshot snapshot = snapshot(nodeList, sessions, now, current.notReadyGrace());
            Plan plan = Planner.plan(snapshot, current, now);
            plannedOn = snapshot;
            reportWarnings(plan.warnings());
            Optional<Duration> settle = settling(snapshot, plan, current, now);
            Optional<Duration> held = Optional.empty();
            clientLeftBehind = false;
            // a dry run writes nothing, so its next plan would be this one again: it is never cut short
            stepsLeft = dryRun ? Integer.MAX_VALUE : current.maxStepsPerReconcile();
            capped = false;
            int written = 0;
            if (settle.isEmpty()) {
                written += apply(plan.makeSteps(), plan.decisions(), false, now);
                // a make phase cut short by the cap holds every break step back: its sessions are not all made
                Optional<BreakGate.Hold> hold = dryRun || capped ? Optional.empty()
                        : BreakGate.check(snapshot, plan, sessions, current, lastWrite, clock.instant());
                if (hold.isPresent()) {
                    reportHold(hold.get());
                    held = Optional.of(hold.get().recheckAfter());
                } else if (!capped && stepsLeft == 0 && !plan.breakSteps().isEmpty()) {
                    capped = true; // the make phase took the whole cap: the next reconcile runs the break phase
                } else if (!capped) {
                    reportReleased(plan);
                    written += apply(plan.breakSteps(), plan.decisions(), true, now);
                }
            }
            if (capped) {
                metrics.reconcileCapped();
                log.info("reconcile executed {} of its plan's {} steps, its cap (maxStepsPerReconcile): the rest is "
                        + "planned again at once from what is observed, leadership checked first",
                        current.maxStepsPerReconcile(), plan.steps().size());
            }
            fence("the CalicoNodeStatus sync");
            written += sessionChecks.sync(nodes.list(), current, dryRun);
            metrics.topology(plan.summary().desiredPerZone(), plan.summary().actualPerZone(),
                    plan.summary().clientsPerReflector(), plan.summary().peerCount(), plan.summary().eligible());
            Optional<Duration> legacy = Optional.empty();
            if (plan.steps().isEmpty()) {
                topologyReport.report(plan.summary(), current);
                legacy = legacyPeers.handle(peers.list(), current.adoptLegacyPeers(),
                        sessionsUp(snapshot, sessions, current, clock.instant()));
            } else if (written > 0) {
                log.info("reconcile applied {} change(s) in {} ms", written, (System.nanoTime() - started) / 1_000_000);
            }
            fence("the mesh hand-off");
            Optional<Duration> mesh = meshHandOff.reconcile(current, false, plan, snapshot, sessions, lastWrite, now);
            Optional<Duration> rest = capped ? Optional.of(MIN_RECHECK) : Optional.empty();
            Duration next = Stream.of(plan.recheckAfter(), sessions.recheckAfter(), mesh, held, legacy,
                            observations.graceRecheck(), rest, settle)
                    .flatMap(Optional::stream)
                    .map(after -> after.compareTo(MIN_RECHECK) < 0 ? MIN_RECHECK : after)
                    .filter(after -> after.compareTo(current.reconcilerPeriod()) < 0)
                    .min(Comparator.naturalOrder())
                    .orElse(current.reconcilerPeriod());
            return new Result(true, next);
        } catch (FencedException e) {
            log.warn("reconcile stopped before {}: this replica may no longer write (it lost the leader Lease or is "
                    + "stopping); the next leader carries on from here", e.getMessage());
            return new Result(false);
        } catch (ReplanException e) {
            log.info("re-planning at once: {}", e.getMessage());
            return new Result(true, MIN_RECHECK);
        } catch (ApiUnavailableException | StepExecutor.StepFailedException e) {
            metrics.reconcileFailed();
            log.warn("reconcile stopped: {}; nothing is torn down, retrying with backoff", e.getMessage());
            return new Result(true);
        } catch (RuntimeException e) {
            metrics.reconcileFailed();
            log.error("reconcile failed unexpectedly: {}; retrying with backoff", e.toString(), e);
            return new Result(true);
        } finally {
            countSessionChanges(); // also when a reconcile stopped after some of its writes
            metrics.reconciled((System.nanoTime() - started) / 1e9);
        }
    }

    /**
     * While nodes are being cordoned, tainted or going NotReady (a drain), a plan that promotes waits
     * until no node has lost its eligibility for {@link #ELIGIBILITY_SETTLE}, so it does not pick a
     * successor that is about to go too. Only while as many route reflectors serve, up, as the
     * topology wants (NotReady within notReadyGrace counts as up; the obsolete ones serve until
     * their successors have served removalDelay): one that is down or gone, or a cluster that grew,
     * is served at once. Nodes joining (NotReady at first) do not count as a change.
     *
     * @return how soon to look again while it waits
     */
    private Optional<Duration> settling(ClusterSnapshot snapshot, Plan plan, RouteReflectorConfig current,
            Instant now) {
        Set<String> eligible = new HashSet<>();
        int servingUp = 0;
        for (NodeFacts node : snapshot.nodes()) {
            if (Planner.ineligibility(node, current) == null) {
                eligible.add(node.name());
            }
            if (node.ready() && node.annotations().containsKey(Names.CLUSTER_ID_ANNOTATION)) {
                servingUp++;
            }
        }
        if (eligibleSeen != null && !eligible.containsAll(eligibleSeen)) {
            eligibilityLost = now;
        }
        eligibleSeen = eligible;
        Duration left = Duration.between(now, eligibilityLost.plus(ELIGIBILITY_SETTLE));
        boolean promotes = plan.decisions().stream().anyMatch(d -> "promote".equals(d.action()));
        // fewer serving than wanted: a route reflector is down or gone, or the cluster grew; no waiting then
        if (!promotes || servingUp < plan.summary().desiredTotal() || dryRun || left.isNegative() || left.isZero()) {
            settlingSince = null;
            return Optional.empty();
        }
        if (settlingSince == null) {
            settlingSince = now;
            log.info("a node lost its eligibility {} ms ago (cordoned, tainted, NotReady or gone; {} eligible now): "
                    + "promotions wait until none has for {}s, the serving route reflectors keep serving "
                    + "reason=eligibility-settling", Duration.between(eligibilityLost, now).toMillis(),
                    eligible.size(), ELIGIBILITY_SETTLE.toSeconds());
        }
        return Optional.of(left);
    }

    /**
     * For deleting legacy peers (a break step outside the plan): empty when the sessions of our
     * topology are up (every serving RR has Established sessions and none coming up, where
     * calico-node reports; sessionSettleDelay after our last write where it does not), else how
     * soon to look again.
     */
    private Optional<Duration> sessionsUp(ClusterSnapshot snapshot, SessionChecks.Observation sessions,
            RouteReflectorConfig current, Instant now) {
        if (!sessions.available()) {
            Duration left = Duration.between(now, lastWrite.plus(current.sessionSettleDelay()));
            return left.isNegative() || left.isZero() ? Optional.empty() : Optional.of(left);
        }
        boolean up = snapshot.nodes().stream()
                .filter(n -> n.ready() && n.annotations().containsKey(Names.CLUSTER_ID_ANNOTATION)
                        && n.labels().containsKey(current.routeReflectorLabelKey()))
                .allMatch(n -> {
                    var facts = sessions.perReflector().get(n.name());
                    return facts != null && facts.established() > 0 && facts.pending() == 0;
                });
        return up ? Optional.empty() : Optional.of(BreakGate.RECHECK);
    }

    private ClusterSnapshot snapshot(List<V1Node> nodeList, SessionChecks.Observation sessions, Instant now,
            Duration notReadyGrace) {
        List<NodeFacts> facts = observations.asSeenHere(nodeFacts.facts(nodeList), now, notReadyGrace,
                sessions.forPlanner().orElse(Map.of()));
        return new ClusterSnapshot(facts, LiveCluster.owned(peers.list()), sessions.forPlanner());
    }

    /**
     * Executes one phase's steps in order and waits for the caches to show them. Its decisions are
     * logged and recorded as Events with it: demotions with the break phase, the others with the make
     * phase (a held break phase logs its demotions only once they run).
     */
    private int apply(List<Step> steps, List<Decision> decisions, boolean breakPhase, Instant now)
            throws ApiUnavailableException, StepExecutor.StepFailedException, ReplanException, FencedException {
        List<Decision> ours = decisions.stream().filter(d -> "demote".equals(d.action()) == breakPhase).toList();
        for (Decision decision : ours) {
            log.info("{}", decision);
        }
        Map<String, String> writtenNodes = new HashMap<>();
        Map<String, String> writtenPeers = new HashMap<>();
        Set<String> deletedPeers = new HashSet<>();
        int written = 0;
        try {
            for (Step step : steps) {
                if (stepsLeft == 0) {
                    capped = true; // the rest waits for the next reconcile, which plans it afresh
                    break;
                }
                if (clientLeftBehind && removes(step)) {
                    // a client that kept its old group may still peer through what this step removes
                    log.info("skipped {}: a client refused its move; kept until it moves", step);
                    continue;
                }
                if (step instanceof Step.PatchNode patch && isClientMove(patch)
                        && observations.refusing(patch.node())) {
                    clientLeftBehind = true; // refused lately: left alone for LeaderObservations.REFUSAL_MEMORY
                    continue;
                }
                stepHook.beforeStep(step);
                fence(step.toString());
                reportRestore(step);
                String deleted = step instanceof Step.DeletePeer delete ? peerNames.objectName(delete.name()) : null;
                KubernetesObject result;
                stepsLeft--; // a refused or failed write counts too: the cap bounds the API calls of a reconcile
                try {
                    result = executor.execute(step);
                } catch (StepExecutor.NodeGoneException gone) {
                    Step.PatchNode patch = (Step.PatchNode) step;
                    if (isClientMove(patch)) {
                        continue; // nothing to move; the next plan does without it
                    }
                    observations.gone(patch.node());
                    throw new ReplanException(gone.getMessage() + " (" + step + ")");
                } catch (StepExecutor.NodeRefusedException refused) {
                    Step.PatchNode patch = (Step.PatchNode) step;
                    reportRefused(refused, patch, now);
                    if (isClientMove(patch)) {
                        clientLeftBehind = true;
                        continue;
                    }
                    if (becomesReflector(patch)) {
                        throw new ReplanException(refused.getMessage() + "; another node is chosen");
                    }
                    throw refused; // a change of a serving route reflector: stop where every prefix is safe
                }
                written++;
                executed.add(step);
                lastWrite = clock.instant();
                if (result instanceof V1Node node) {
                    writtenNodes.put(node.getMetadata().getName(), node.getMetadata().getResourceVersion());
                } else if (result instanceof BgpPeer peer) {
                    writtenPeers.put(peer.getMetadata().getName(), peer.getMetadata().getResourceVersion());
                    if (step instanceof Step.CreatePeer create
                            && !create.peer().name().equals(peer.getMetadata().getName())) {
                        reportNameTaken(create.peer().name(), peer.getMetadata().getName());
                    }
                } else if (deleted != null) {
                    deletedPeers.add(deleted);
                }
            }
        } finally {
            awaitCache(writtenNodes, writtenPeers, deletedPeers);
        }
        recordEvents(ours);
        return written;
    }

    /**
     * The BGP sessions this reconcile's writes added and removed, from the snapshot it planned on:
     * O(nodes × BGPPeers + sessions), only when something was written.
     */
    private void countSessionChanges() {
        ClusterSnapshot snapshot = plannedOn;
        plannedOn = null;
        if (executed.isEmpty() || snapshot == null || dryRun) {
            executed.clear();
            return;
        }
        ClusterModel model = new ClusterModel(snapshot);
        Bgp before = new Bgp(model.nodes(), model.peers(), false, Set.of());
        executed.forEach(model::apply);
        executed.clear();
        metrics.sessionChanges(Bgp.sessionChanges(before, new Bgp(model.nodes(), model.peers(), false, Set.of())));
    }

    /** Once per wait: a log line and a Normal Event on the node whose sessions are waited for, and the counter. */
    private void reportHold(BreakGate.Hold hold) {
        if (heldSince != null) {
            log.debug("still {}", hold.message());
            return;
        }
        heldSince = clock.instant();
        metrics.changeHeldBack();
        log.info("{} reason=bgp-sessions-not-up", hold.message());
        V1ObjectReference ref = new V1ObjectReference().apiVersion("v1").kind("Node").name(hold.node());
        V1Node cached = nodes.getByKey(hold.node());
        if (cached != null) {
            ref.uid(cached.getMetadata().getUid());
        }
        events.event(ref, EventType.Normal, "WaitingForBGPSessions", "%s", hold.message());
    }

    private void reportReleased(Plan plan) {
        if (heldSince == null) {
            return;
        }
        if (!plan.breakSteps().isEmpty()) {
            log.info("the BGP sessions are up after {}s: now {}", Duration.between(heldSince, clock.instant()).toSeconds(),
                    BreakGate.describe(plan));
        }
        heldSince = null;
    }

    private void fence(String next) throws FencedException {
        if (!dryRun && !mayWrite.getAsBoolean()) {
            throw new FencedException(next);
        }
    }

    /** A client changing group (the planner's reasons for those start with "client"). */
    private static boolean isClientMove(Step.PatchNode patch) {
        return patch.reason().startsWith("client");
    }

    /** The first writes of a new route reflector: its labels, then its cluster ID. */
    private static boolean becomesReflector(Step.PatchNode patch) {
        return patch.reason().equals("promote") || patch.reason().equals("serve");
    }

    /** Steps that take away a peering: obsolete BGPPeers, demotions. */
    private static boolean removes(Step step) {
        return step instanceof Step.DeletePeer
                || step instanceof Step.PatchNode patch && patch.reason().startsWith("demote");
    }

    /**
     * A node the apiserver does not let us patch (an admission policy or webhook): told once per
     * {@link LeaderObservations#REFUSAL_MEMORY}, left as it is until then, and never made a route
     * reflector meanwhile.
     */
    private void reportRefused(StepExecutor.NodeRefusedException refused, Step.PatchNode patch, Instant now) {
        observations.refused(refused.node(), now);
        String what = isClientMove(patch) ? "it keeps its group" : "it is not made a route reflector";
        String memory = ConfigValues.formatDuration(LeaderObservations.REFUSAL_MEMORY);
        log.warn("node {} refused our patch ({}); {} and is left alone for {} reason=patch-refused (check the "
                + "admission policies and webhooks that apply to it)", refused.node(), refused.getMessage(), what,
                memory);
        V1ObjectReference ref = new V1ObjectReference().apiVersion("v1").kind("Node").name(refused.node());
        V1Node cached = nodes.getByKey(refused.node());
        if (cached != null) {
            ref.uid(cached.getMetadata().getUid());
        }
        events.event(ref, EventType.Warning, "NodePatchRefused", "%s", "calico-rr-controller could not patch this "
                + "node (" + refused.getMessage() + "); " + what + ", tried again in " + memory
                + ". Check the admission policies and webhooks that apply to it");
    }

    /**
     * Says so when a step undoes someone else's change to an object we manage: a BGPPeer whose spec
     * differs from the one our last write of it recorded on it (so also after a restart or a change
     * of leader), or a route reflector whose label was removed. The planner's target wins either
     * way; the operator learns why.
     */
    private void reportRestore(Step step) {
        if (step instanceof Step.UpdatePeer update) {
            String name = peerNames.objectName(update.peer().name());
            BgpPeer cached = peers.getByKey(name);
            if (cached != null && StepExecutor.changedSinceOurWrite(cached)) {
                metrics.restored("bgppeer");
                log.warn("BGPPeer {} was changed by someone else; restoring it reason=managed-object "
                        + "(change the routereflector configuration instead)", name);
                events.event(cached, EventType.Warning, "ManagedObjectRestored", "%s",
                        "Changed by someone else; restored by calico-rr-controller, which manages this BGPPeer");
            }
        } else if (step instanceof Step.PatchNode patch && "relabel".equals(patch.reason())) {
            String key = config.get().routeReflectorLabelKey();
            V1Node cached = nodes.getByKey(patch.node());
            Map<String, String> labels = cached == null ? null : cached.getMetadata().getLabels();
            if (patch.labels().containsKey(key) && labels != null && !labels.containsKey(key)) {
                metrics.restored("node");
                log.warn("node {} serves as route reflector but lost its label {}; restoring it reason=managed-label "
                        + "(cordon the node or use incompatibleLabels to move the role)", patch.node(), key);
                V1ObjectReference ref = new V1ObjectReference().apiVersion("v1").kind("Node").name(patch.node())
                        .uid(cached.getMetadata().getUid());
                events.event(ref, EventType.Warning, "ManagedObjectRestored", "%s", "Route reflector label " + key
                        + " was removed by someone else; restored (cordon the node to move the role)");
            }
        }
    }

    /**
     * A BGPPeer we do not manage has a name the topology uses; ours was created under another name
     * ({@link PeerNames}), so the topology is complete. The other peer is left as it is, but it
     * still configures calico-node: the operator must decide about it.
     */
    private void reportNameTaken(String planned, String renamed) {
        String message = "BGPPeer " + planned + " is not managed by " + Names.CONTROLLER_NAME + " (no label "
                + Names.MANAGED_BY_LABEL + "=" + Names.CONTROLLER_NAME + ") but has a name its topology uses; it is "
                + "left alone and the topology's peer is " + renamed + " instead. Delete or rename " + planned
                + " unless its peerings are meant to be there beside the topology's";
        log.warn("{} reason=name-taken", message);
        BgpPeer foreign = peers.getByKey(planned);
        if (foreign != null) {
            events.event(foreign, EventType.Warning, "BGPPeerNameTaken", "%s", message);
        } else {
            events.event(new V1ObjectReference().apiVersion(CalicoApi.API_VERSION).kind(BgpPeer.KIND).name(planned),
                    EventType.Warning, "BGPPeerNameTaken", "%s", message);
        }
    }

    /** Node Events for promotions and demotions, so {@code kubectl describe node} tells the story. */
    private void recordEvents(List<Decision> decisions) {
        for (Decision decision : decisions) {
            if (decision.node() == null || decision.node().isEmpty()) {
                continue;
            }
            V1ObjectReference ref = new V1ObjectReference().apiVersion("v1").kind("Node").name(decision.node());
            V1Node cached = nodes.getByKey(decision.node());
            if (cached != null) {
                ref.uid(cached.getMetadata().getUid());
            }
            events.event(ref, EventType.Normal, eventReason(decision.action()), "%s", decision.toString());
        }
    }

    private static String eventReason(String action) {
        return switch (action) {
            case "promote" -> "RouteReflectorPromoted";
            case "demote" -> "RouteReflectorDemoted";
            default -> "RouteReflectorTopologyChanged";
        };
    }

    /**
     * Waits (bounded) until the caches hold what we wrote, so the next plan starts from our own
     * writes instead of repeating them.
     */
    private void awaitCache(Map<String, String> nodeVersions, Map<String, String> peerVersions, Set<String> deleted) {
        if (nodeVersions.isEmpty() && peerVersions.isEmpty() && deleted.isEmpty()) {
            return;
        }
        Instant deadline = clock.instant().plus(CACHE_WAIT);
        while (clock.instant().isBefore(deadline)) {
            boolean caughtUp = nodeVersions.entrySet().stream().allMatch(e -> atLeast(nodes.getByKey(e.getKey()), e.getValue()))
                    && peerVersions.entrySet().stream().allMatch(e -> atLeast(peers.getByKey(e.getKey()), e.getValue()))
                    && deleted.stream().allMatch(name -> peers.getByKey(name) == null);
            if (caughtUp) {
                return;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        log.debug("informer caches did not show our writes within {}; the next reconcile re-checks", CACHE_WAIT);
    }

    /** Whether the cached object is the written version or a later one (absent: it was deleted since). */
    private static boolean atLeast(KubernetesObject cached, String writtenVersion) {
        if (cached == null) {
            return true;
        }
        String version = cached.getMetadata().getResourceVersion();
        try {
            return Long.parseLong(version) >= Long.parseLong(writtenVersion);
        } catch (NumberFormatException e) {
            return Objects.equals(version, writtenVersion);
        }
    }

    private void reportWarnings(List<String> warnings) {
        if (!warnings.equals(lastWarnings.getAndSet(warnings))) {
            warnings.forEach(warning -> log.warn("{}", warning));
        }
    }
}
