package dev.calicorr.routereflector.apply;

import dev.calicorr.core.kube.ApiUnavailableException;
import dev.calicorr.core.kube.Responses;
import dev.calicorr.core.plugin.ControllerContext;
import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.datastore.NodeStatusStore;
import dev.calicorr.routereflector.kube.CalicoLabels;
import dev.calicorr.routereflector.kube.CalicoNodeStatus;
import dev.calicorr.routereflector.kube.NodeFactsReader;
import dev.calicorr.routereflector.metrics.RouteReflectorMetrics;
import dev.calicorr.routereflector.model.Names;
import dev.calicorr.routereflector.model.SessionFacts;
import io.kubernetes.client.common.KubernetesObject;
import io.kubernetes.client.extended.event.EventType;
import io.kubernetes.client.extended.event.legacy.EventRecorder;
import io.kubernetes.client.informer.ResourceEventHandler;
import io.kubernetes.client.openapi.models.V1Node;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1ObjectReference;
import io.kubernetes.client.util.generic.KubernetesApiResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * BGP session checks, where Calico's {@code CalicoNodeStatus} can be had (KDD: its CRD is installed;
 * etcdv3: in etcd, where calico-node reports in that mode; see {@link NodeStatusStore}). The controller
 * owns one CalicoNodeStatus per route reflector (O(R) objects: an RR's sessions include every
 * session it has with a client, so clients need none of their own), labelled managed-by, created
 * when a node becomes an RR and deleted when it stops being one; calico-node on that node writes
 * the sessions into its status. A shared cache (an informer, or the etcd watch) feeds them to each
 * reconcile as {@link SessionFacts} (for the planner and the mesh hand-off), gauges, and one Warning
 * Event per session that stays down. Where they cannot be had (KDD without the CRD) this is
 * detected, said once, and nothing else changes. The decisions stay with the leader; the cache is
 * kept on every replica.
 */
final class SessionChecks {
    /** calico-node writes a status at most this often, and only when something changed. */
    static final int UPDATE_PERIOD_SECONDS = 10;
    private static final Logger log = LoggerFactory.getLogger(SessionChecks.class);
    private static final Duration CRD_RECHECK = Duration.ofSeconds(30);
    private static final int NAME_MAX = 253;
    private static final int LISTED = 3;

    private final ControllerContext context;
    private final NodeStatusStore statuses;
    private final EventRecorder events;
    private final RouteReflectorMetrics metrics;
    private final Runnable wake;
    private final Clock clock;
    /**
     * Per CalicoNodeStatus we own: its latest report (status.lastUpdated) and when this replica
     * first saw it (our clock, not calico-node's), so a report is judged against our own writes.
     */
    private final Map<String, FirstSeen> reports = new ConcurrentHashMap<>();
    private volatile boolean registered;
    private volatile Boolean installed;
    private Instant nextCheck = Instant.EPOCH;
    /** Leader-local memory: per RR, its sessions that are not Established, since when we see them so. */
    private final Map<String, Map<String, Down>> down = new HashMap<>();
    /** Per RR, the serving-since under which it had all its sessions Established at once. */
    private final Map<String, String> verifiedUnder = new HashMap<>();
    /**
     * Per RR, its serving-since and when a reconcile first read it (our clock): a new one comes with
     * a new cluster ID, which restarts the RR's sessions, so only a report newer than it verifies.
     */
    private final Map<String, FirstSeen> servingSeen = new HashMap<>();
    private final Set<String> silentReported = new HashSet<>();
    private final Set<String> foreignReported = new HashSet<>();
    private boolean silent;

    /** A session seen not Established: since when (our clock), in what state, and whether reported. */
    private static final class Down {
        final Instant since;
        String state;
        boolean reported;

        Down(Instant since, String state) {
            this.since = since;
            this.state = state;
        }
    }

    /** A value we read (a report's lastUpdated, a serving-since) and when we first saw it. */
    private record FirstSeen(String value, Instant at) {
    }

    /** Whether session facts can be had. */
    enum State {
        /** the CalicoNodeStatus CRD is not installed (or not readable): behave as without the feature */
        ABSENT,
        /** installed, but calico-node has not reported any of our statuses yet (a first install) */
        WAITING,
        /** calico-node reports: the facts count */
        ACTIVE,
        /** installed, but calico-node has reported none of our statuses for sessionStuckAfter: it does not report here */
        SILENT
    }

    /**
     * What one reconcile knows of the sessions.
     *
     * @param perReflector  facts of the RRs whose CalicoNodeStatus has been reported
     * @param servedClients nodes that have an Established session with at least one RR
     * @param recheckAfter  when something timed is due (a session counting as stuck, a first report)
     */
    record Observation(State state, Map<String, SessionFacts> perReflector, Set<String> servedClients,
            Optional<Duration> recheckAfter, Peers peers) {
        static Observation without(State state, Optional<Duration> recheckAfter) {
            return new Observation(state, Map.of(), Set.of(), recheckAfter, Peers.NONE);
        }

        /** Without the per-session detail (what the mesh hand-off reads). */
        Observation(State state, Map<String, SessionFacts> perReflector, Set<String> servedClients,
                Optional<Duration> recheckAfter) {
            this(state, perReflector, servedClients, recheckAfter, Peers.NONE);
        }

        boolean available() {
            return state == State.ACTIVE;
        }

        /**
         * What the planner gets: facts once calico-node reports; none (removalDelay alone) where the
         * CRD is absent, calico-node does not report, or has not reported yet.
         */
        Optional<Map<String, SessionFacts>> forPlanner() {
            return available() ? Optional.of(perReflector) : Optional.empty();
        }
    }

    /**
     * Each session as calico-node reports it, for the break steps' wait.
     *
     * @param establishedWith per RR whose status is reported: the nodes it has an Established session with
     * @param stuckWith       per such RR: the nodes whose session with it was reported stuck
     * @param awaitingReport  RRs whose status calico-node has not filled in yet, but still may
     *                        (created less than sessionStuckAfter ago, or about to be created)
     * @param reportSeen      per RR of establishedWith: when this replica first saw the report those
     *                        sessions come from (its clock, as our writes' times are)
     */
    record Peers(Map<String, Set<String>> establishedWith, Map<String, Set<String>> stuckWith,
            Set<String> awaitingReport, Map<String, Instant> reportSeen) {
        static final Peers NONE = new Peers(Map.of(), Map.of(), Set.of(), Map.of());
    }

    /**
     * @param clock    this replica's clock: when a report was first seen, as our writes' times are
     * @param statuses where the datastore keeps CalicoNodeStatuses
     */
    SessionChecks(ControllerContext context, RouteReflectorMetrics metrics, Runnable wake, Clock clock,
            NodeStatusStore statuses) {
        this.context = context;
        this.clock = clock;
        this.statuses = statuses;
        this.events = context.events();
        this.metrics = metrics;
        this.wake = wake;
        installed = probe();
        if (Boolean.TRUE.equals(installed)) {
            register();
        } else if (Boolean.FALSE.equals(installed)) {
            logAbsent();
        }
    }

    /** The name of the CalicoNodeStatus we own for this node. */
    static String nameFor(String node) {
        String name = Names.PEER_NAME_PREFIX + node;
        if (name.length() <= NAME_MAX) {
            return name;
        }
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(node.getBytes(StandardCharsets.UTF_8));
            return name.substring(0, NAME_MAX - 9) + "-" + HexFormat.of().formatHex(hash, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Ours by the managed-by label, also once Calico's own client rewrote the object (see {@link CalicoLabels}). */
    static boolean isOwned(CalicoNodeStatus status) {
        return Names.CONTROLLER_NAME.equals(CalicoLabels.of(status.getMetadata()).get(Names.MANAGED_BY_LABEL));
    }

    /** True: installed; false: not (or not readable); null: the API did not answer. */
    private Boolean probe() {
        KubernetesApiResponse<?> response;
        try {
            response = Responses.call("looking for the CalicoNodeStatus CRD", () -> statuses.probe());
        } catch (ApiUnavailableException e) {
            log.debug("could not look for the CalicoNodeStatus CRD: {}", e.getMessage());
            return null;
        }
        if (response.isSuccess()) {
            return true;
        }
        if (response.getHttpStatusCode() != 404 && !Boolean.FALSE.equals(installed)) {
            log.warn("cannot list CalicoNodeStatuses ({} {}): BGP session checks are off; {}",
                    response.getHttpStatusCode(), Responses.message(response), statuses.accessHint());
        }
        return false;
    }

    private void logAbsent() {
        log.info("{}: BGP session checks are off; route reflectors are handed over after removalDelay alone and the "
                + "mesh hand-off does not wait for sessions", statuses.absence());
    }

    /** The shared cache: every replica watches, so a new leader starts with a warm cache. */
    private synchronized void register() {
        if (registered) {
            return;
        }
        statuses.watch(SessionChecks::slim, new ResourceEventHandler<>() {
            @Override
            public void onAdd(CalicoNodeStatus obj) {
                if (isOwned(obj)) {
                    reportSeen(obj);
                    wake.run();
                }
            }

            @Override
            public void onUpdate(CalicoNodeStatus before, CalicoNodeStatus after) {
                if (isOwned(after)) {
                    reportSeen(after);
                    wake.run();
                }
            }

            @Override
            public void onDelete(CalicoNodeStatus obj, boolean deletedFinalStateUnknown) {
                if (isOwned(obj)) {
                    reports.remove(obj.getMetadata().getName());
                    wake.run();
                }
            }
        });
        registered = true;
    }

    /**
     * When this replica first saw the status's current report: the informer's event (the earliest
     * we can know of it), or a reconcile that reads the cache before that event is handled.
     */
    private Instant reportSeen(CalicoNodeStatus status) {
        String lastUpdated = status.getStatus() == null ? null : status.getStatus().getLastUpdated();
        return reports.compute(status.getMetadata().getName(), (name, known) ->
                known != null && Objects.equals(known.value(), lastUpdated) ? known
                        : new FirstSeen(lastUpdated, clock.instant())).at();
    }

    /**
     * Informer transform: objects we do not own (an operator's own CalicoNodeStatus may list every
     * route of a node) are cached as bare metadata, so the cache stays O(R).
     */
    static KubernetesObject slim(Object object) {
        if (object instanceof CalicoNodeStatus status && !isOwned(status)) {
            V1ObjectMeta meta = status.getMetadata();
            return new CalicoNodeStatus(new V1ObjectMeta().name(meta.getName()).uid(meta.getUid())
                    .resourceVersion(meta.getResourceVersion()).labels(meta.getLabels()), null);
        }
        return (KubernetesObject) object;
    }

    /** Whether the CRD is (still) there: looked up at most every 30 s, and at once after a 404. */
    private boolean checkInstalled(Instant now) {
        if (now.isBefore(nextCheck) && installed != null) {
            return installed;
        }
        Boolean found = probe();
        nextCheck = now.plus(CRD_RECHECK);
        if (found == null) {
            return Boolean.TRUE.equals(installed); // API trouble: keep what we knew
        }
        if (found && !Boolean.TRUE.equals(installed)) {
            log.info("the CalicoNodeStatus CRD is installed: BGP session checks are on");
            register();
            context.informerFactory().startAllRegisteredInformers(); // only starts what is not running yet
        } else if (!found && !Boolean.FALSE.equals(installed)) {
            if (installed != null) {
                log.warn("the CalicoNodeStatus CRD was removed: BGP session checks are off until it is back");
            } else {
                logAbsent();
            }
            down.clear();
            verifiedUnder.clear();
            servingSeen.clear();
        }
        installed = found;
        return found;
    }

    /** Reads the sessions of every route reflector; raises the Events of sessions that stay down. */
    Observation observe(List<V1Node> nodes, RouteReflectorConfig config, Instant now) {
        if (!checkInstalled(now) || !registered) {
            metrics.sessions(false, Map.of());
            return Observation.without(State.ABSENT, Optional.empty());
        }
        if (!statuses.hasSynced()) {
            metrics.sessions(false, Map.of());
            return Observation.without(State.WAITING, Optional.of(Duration.ofSeconds(1)));
        }
        Instant oldest = null;
        boolean reported = false;
        for (CalicoNodeStatus status : statuses.cache().list()) {
            if (!isOwned(status)) {
                continue;
            }
            reported |= status.getStatus() != null && status.getStatus().getLastUpdated() != null;
            var created = status.getMetadata().getCreationTimestamp();
            if (created != null && (oldest == null || created.toInstant().isBefore(oldest))) {
                oldest = created.toInstant();
            }
        }
        if (!reported) {
            metrics.sessions(false, Map.of());
            Instant due = oldest == null ? null : oldest.plus(config.sessionStuckAfter());
            if (due == null || now.isBefore(due)) {
                silent = false;
                return Observation.without(State.WAITING, Optional.ofNullable(due).map(d -> Duration.between(now, d)));
            }
            if (!silent) {
                silent = true;
                log.warn("calico-node has reported none of our CalicoNodeStatuses within {} (oldest created {}): it does "
                        + "not report here (Calico before 3.22, or no BGP); BGP session checks are off until it does",
                        dev.calicorr.core.config.ConfigValues.formatDuration(config.sessionStuckAfter()), oldest);
            }
            return Observation.without(State.SILENT, Optional.empty());
        }
        if (silent) {
            silent = false;
            log.info("calico-node reports BGP sessions in our CalicoNodeStatuses: BGP session checks are on");
        }
        return active(nodes, config, now);
    }

    private Observation active(List<V1Node> nodes, RouteReflectorConfig config, Instant now) {
        String rrKey = config.routeReflectorLabelKey();
        Map<String, String> nodeByIp = new HashMap<>();
        Set<String> ready = new HashSet<>();
        Map<String, V1Node> reflectors = new TreeMap<>();
        for (V1Node node : nodes) {
            String name = node.getMetadata().getName();
            Map<String, String> annotations = annotations(node);
            for (String key : List.of(Names.IPV4_ADDRESS_ANNOTATION, Names.IPV6_ADDRESS_ANNOTATION)) {
                String ip = address(annotations.get(key));
                if (ip != null) {
                    nodeByIp.put(ip, name);
                }
            }
            if (NodeFactsReader.ready(node)) {
                ready.add(name);
            }
            if (labels(node).containsKey(rrKey)) {
                reflectors.put(name, node);
            }
        }
        Map<String, SessionFacts> facts = new TreeMap<>();
        Set<String> served = new HashSet<>();
        Map<String, Set<String>> establishedWith = new HashMap<>();
        Map<String, Set<String>> stuckWith = new HashMap<>();
        Map<String, Instant> seen = new HashMap<>();
        Set<String> awaiting = new HashSet<>();
        Duration recheck = null;
        int newlyStuck = 0;
        for (V1Node node : reflectors.values()) {
            String rr = node.getMetadata().getName();
            CalicoNodeStatus status = statuses.cache().getByKey(nameFor(rr));
            if (status == null) {
                awaiting.add(rr); // a new RR: this reconcile creates its status
                continue;
            }
            if (!isOwned(status)) {
                continue;
            }
            if (status.getStatus() == null || status.getStatus().getLastUpdated() == null) {
                var created = status.getMetadata().getCreationTimestamp();
                if (created == null || now.isBefore(created.toInstant().plus(config.sessionStuckAfter()))) {
                    awaiting.add(rr);
                }
                recheck = earlier(recheck, reportSilent(status, rr, config, now));
                continue;
            }
            Set<String> up = new HashSet<>();
            establishedWith.put(rr, up);
            seen.put(rr, reportSeen(status));
            int established = 0;
            Map<String, String> notEstablished = new TreeMap<>();
            CalicoNodeStatus.Bgp bgp = status.getStatus().getBgp();
            List<CalicoNodeStatus.Peer> peers = new ArrayList<>();
            if (bgp != null) {
                peers.addAll(bgp.getPeersV4());
                peers.addAll(bgp.getPeersV6());
            }
            for (CalicoNodeStatus.Peer peer : peers) {
                String other = nodeByIp.get(address(peer.peerIP()));
                if (other == null || other.equals(rr) || !ready.contains(other)) {
                    continue; // not a node of ours (a ToR), or one that is down: nothing to wait for
                }
                if (peer.established()) {
                    established++;
                    served.add(other);
                    up.add(other);
                } else {
                    notEstablished.merge(other, String.valueOf(peer.state()), (a, b) -> a);
                }
            }
            recheck = earlier(recheck, track(rr, notEstablished, config, now));
            newlyStuck += reportStuck(node, config, now);
            Set<String> stuckPeers = new HashSet<>();
            down.get(rr).forEach((peer, state) -> {
                if (state.reported) {
                    stuckPeers.add(peer);
                }
            });
            stuckWith.put(rr, stuckPeers);
            int stuck = stuckPeers.size();
            int pending = notEstablished.size() - stuck;
            // Taken over: something is up and nothing is still coming up. A session already reported
            // stuck (one broken client) does not hold a hand-over back for ever, unless most are down.
            String servingSince = annotations(node).get(Names.SERVING_SINCE_ANNOTATION);
            if (established > 0 && pending == 0 && stuck < established && servingSince != null
                    && reportsAfter(rr, servingSince, seen.get(rr), now)) {
                verifiedUnder.put(rr, servingSince);
            }
            boolean verified = servingSince != null && servingSince.equals(verifiedUnder.get(rr));
            facts.put(rr, new SessionFacts(established, notEstablished.size(), pending, verified));
        }
        down.keySet().retainAll(facts.keySet());
        verifiedUnder.keySet().retainAll(reflectors.keySet());
        servingSeen.keySet().retainAll(reflectors.keySet());
        metrics.sessions(true, facts);
        if (newlyStuck > 0) {
            metrics.sessionsStuck(newlyStuck);
        }
        return new Observation(State.ACTIVE, facts, served, Optional.ofNullable(recheck),
                new Peers(establishedWith, stuckWith, awaiting, seen));
    }

    /**
     * Whether the RR's report shows BIRD after it took up this serving-since (and its cluster ID):
     * first seen {@link BreakGate#REPORT_LAG} after we first read it, or calico-node had its period
     * since to write a newer one (the break gate's rule).
     */
    private boolean reportsAfter(String rr, String servingSince, Instant reportSeen, Instant now) {
        Instant since = servingSeen.compute(rr, (name, known) -> known != null
                && known.value().equals(servingSince) ? known : new FirstSeen(servingSince, now)).at();
        return BreakGate.showsBirdAfter(reportSeen, since, now);
    }

    private static Duration earlier(Duration a, Duration b) {
        return a == null ? b : b == null || a.compareTo(b) <= 0 ? a : b;
    }

    /**
     * Updates what is down on this RR; returns how soon the first pending session would count as
     * stuck, or null.
     */
    private Duration track(String rr, Map<String, String> notEstablished, RouteReflectorConfig config, Instant now) {
        Map<String, Down> known = down.computeIfAbsent(rr, k -> new HashMap<>());
        known.entrySet().removeIf(entry -> {
            if (notEstablished.containsKey(entry.getKey())) {
                return false;
            }
            if (entry.getValue().reported) {
                log.info("node {}: BGP session with {} is no longer stuck (Established, or gone)", rr, entry.getKey());
            }
            return true;
        });
        Duration first = null;
        for (Map.Entry<String, String> session : notEstablished.entrySet()) {
            Down state = known.computeIfAbsent(session.getKey(), k -> new Down(now, session.getValue()));
            state.state = session.getValue();
            Duration left = Duration.between(now, state.since.plus(config.sessionStuckAfter()));
            if (!state.reported && left.compareTo(Duration.ZERO) > 0 && (first == null || left.compareTo(first) < 0)) {
                first = left;
            }
        }
        return first;
    }

    /** One log line and one Warning Event on the RR node for the sessions that became stuck now. */
    private int reportStuck(V1Node node, RouteReflectorConfig config, Instant now) {
        String rr = node.getMetadata().getName();
        List<String> stuck = new ArrayList<>();
        for (Map.Entry<String, Down> entry : new TreeMap<>(down.getOrDefault(rr, Map.of())).entrySet()) {
            Down state = entry.getValue();
            if (!state.reported && !now.isBefore(state.since.plus(config.sessionStuckAfter()))) {
                state.reported = true;
                stuck.add(entry.getKey() + " (" + state.state + ")");
            }
        }
        if (stuck.isEmpty()) {
            return 0;
        }
        String listed = stuck.size() <= LISTED ? String.join(", ", stuck)
                : String.join(", ", stuck.subList(0, LISTED)) + " and " + (stuck.size() - LISTED) + " more";
        String message = "BGP session(s) with " + listed + " not Established for more than "
                + dev.calicorr.core.config.ConfigValues.formatDuration(config.sessionStuckAfter())
                + " (CalicoNodeStatus " + nameFor(rr) + "): check calico-node on both nodes and that BGP (TCP 179) "
                + "passes between them";
        log.warn("node {} reason=bgp-session-stuck {}", rr, message);
        events.event(nodeRef(node), EventType.Warning, "BGPSessionStuck", "%s", message);
        return stuck.size();
    }

    /** Reports once a status calico-node never filled in; returns how soon that is due, or null. */
    private Duration reportSilent(CalicoNodeStatus status, String rr, RouteReflectorConfig config, Instant now) {
        var created = status.getMetadata().getCreationTimestamp();
        if (created == null || silentReported.contains(status.getMetadata().getName())) {
            return null;
        }
        Instant due = created.toInstant().plus(config.sessionStuckAfter());
        if (now.isBefore(due)) {
            return Duration.between(now, due);
        }
        silentReported.add(status.getMetadata().getName());
        String message = "calico-node has not reported the BGP sessions of " + rr + " in CalicoNodeStatus "
                + status.getMetadata().getName() + " for more than " + dev.calicorr.core.config.ConfigValues
                        .formatDuration(config.sessionStuckAfter()) + ": is calico-node running there (Calico 3.22 or "
                + "later)? Until it reports, obsolete route reflectors stay and the node-to-node mesh stays on";
        log.warn("node {} reason=bgp-status-not-reported {}", rr, message);
        events.event(new V1ObjectReference().apiVersion("v1").kind("Node").name(rr), EventType.Warning,
                "BGPStatusNotReported", "%s", message);
        return null;
    }

    /**
     * One CalicoNodeStatus per node that carries the RR label (after this reconcile's writes),
     * ours deleted for every other node; nothing in dry-run mode or without the CRD.
     */
    int sync(List<V1Node> nodes, RouteReflectorConfig config, boolean dryRun) throws ApiUnavailableException {
        if (dryRun || !Boolean.TRUE.equals(installed) || !registered || !statuses.hasSynced()) {
            return 0;
        }
        Set<String> wanted = new TreeSet<>();
        for (V1Node node : nodes) {
            if (labels(node).containsKey(config.routeReflectorLabelKey())) {
                wanted.add(node.getMetadata().getName());
            }
        }
        int written = 0;
        for (String node : wanted) {
            String name = nameFor(node);
            CalicoNodeStatus cached = statuses.cache().getByKey(name);
            if (cached == null) {
                written += create(node, name);
            } else if (!isOwned(cached)) {
                if (foreignReported.add(name)) {
                    log.warn("CalicoNodeStatus {} exists and is not managed by {}: left alone; the BGP sessions of {} "
                            + "are not checked", name, Names.CONTROLLER_NAME, node);
                }
            } else if (!wantedSpec(cached, node)) {
                written += patchSpec(node, name);
            }
        }
        for (CalicoNodeStatus cached : statuses.cache().list()) {
            if (isOwned(cached) && (cached.getSpec() == null || !wanted.contains(cached.getSpec().getNode()))) {
                written += delete(cached.getMetadata().getName(), "its node is no longer a route reflector");
            }
        }
        return written;
    }

    /** Deletes every CalicoNodeStatus we own (the controller is disabled). */
    int deleteAll(boolean dryRun) throws ApiUnavailableException {
        if (dryRun || !registered || !Boolean.TRUE.equals(installed)) {
            return 0;
        }
        int written = 0;
        for (CalicoNodeStatus cached : statuses.cache().list()) {
            if (isOwned(cached)) {
                written += delete(cached.getMetadata().getName(), "the controller is disabled");
            }
        }
        down.clear();
        verifiedUnder.clear();
        servingSeen.clear();
        metrics.sessions(false, Map.of());
        return written;
    }

    private static boolean wantedSpec(CalicoNodeStatus status, String node) {
        CalicoNodeStatus.Spec spec = status.getSpec();
        return spec != null && node.equals(spec.getNode()) && spec.getClasses().contains(CalicoNodeStatus.CLASS_BGP)
                && Objects.equals(spec.getUpdatePeriodSeconds(), UPDATE_PERIOD_SECONDS);
    }

    private static CalicoNodeStatus.Spec spec(String node) {
        return new CalicoNodeStatus.Spec(node, List.of(CalicoNodeStatus.CLASS_BGP), UPDATE_PERIOD_SECONDS);
    }

    private int create(String node, String name) throws ApiUnavailableException {
        CalicoNodeStatus object = new CalicoNodeStatus(new V1ObjectMeta().name(name)
                .labels(Map.of(Names.MANAGED_BY_LABEL, Names.CONTROLLER_NAME)), spec(node));
        KubernetesApiResponse<CalicoNodeStatus> response = Responses.call("creating CalicoNodeStatus " + name,
                () -> statuses.writes().create(object));
        metrics.write("caliconodestatus", "create", response.isSuccess());
        if (response.isSuccess()) {
            log.info("created CalicoNodeStatus {} reason=route-reflector node={} (calico-node reports its BGP sessions "
                    + "there every {}s)", name, node, UPDATE_PERIOD_SECONDS);
            return 1;
        }
        notWritten(response, "create CalicoNodeStatus " + name);
        return 0;
    }

    private int patchSpec(String node, String name) throws ApiUnavailableException {
        String body = "{\"spec\":{\"node\":\"" + node + "\",\"classes\":[\"" + CalicoNodeStatus.CLASS_BGP
                + "\"],\"updatePeriodSeconds\":" + UPDATE_PERIOD_SECONDS + "}}";
        KubernetesApiResponse<CalicoNodeStatus> response = Responses.call("patching CalicoNodeStatus " + name,
                () -> statuses.writes().mergePatch(name, body));
        metrics.write("caliconodestatus", "patch", response.isSuccess());
        if (response.isSuccess()) {
            log.warn("CalicoNodeStatus {} was changed by someone else; restored its spec reason=managed-object", name);
            return 1;
        }
        notWritten(response, "patch CalicoNodeStatus " + name);
        return 0;
    }

    private int delete(String name, String why) throws ApiUnavailableException {
        KubernetesApiResponse<CalicoNodeStatus> response = Responses.call("deleting CalicoNodeStatus " + name,
                () -> statuses.writes().delete(name));
        metrics.write("caliconodestatus", "delete", response.isSuccess());
        if (response.isSuccess()) {
            log.info("deleted CalicoNodeStatus {} reason=\"{}\"", name, why);
            return 1;
        }
        if (response.getHttpStatusCode() != 404) {
            notWritten(response, "delete CalicoNodeStatus " + name);
        }
        return 0;
    }

    /** A refused write: a 404 means the CRD is gone (checked again at once); the rest is logged. */
    private void notWritten(KubernetesApiResponse<?> response, String what) {
        if (response.getHttpStatusCode() == 404) {
            nextCheck = Instant.EPOCH;
            wake.run();
        } else if (response.getHttpStatusCode() != 409) { // 409: our cache lags our own create
            log.warn("could not {}: {} {}", what, response.getHttpStatusCode(), Responses.message(response));
        }
    }

    private static V1ObjectReference nodeRef(V1Node node) {
        return new V1ObjectReference().apiVersion("v1").kind("Node").name(node.getMetadata().getName())
                .uid(node.getMetadata().getUid());
    }

    private static Map<String, String> labels(V1Node node) {
        Map<String, String> labels = node.getMetadata().getLabels();
        return labels == null ? Map.of() : labels;
    }

    private static Map<String, String> annotations(V1Node node) {
        Map<String, String> annotations = node.getMetadata().getAnnotations();
        return annotations == null ? Map.of() : annotations;
    }

    /**
     * {@code 10.0.0.5/24} or {@code 10.0.0.5} to {@code 10.0.0.5}; IPv6 in one canonical form, as the
     * annotation and BIRD may write it differently; null stays null.
     */
    static String address(String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        int slash = text.indexOf('/');
        String ip = (slash < 0 ? text : text.substring(0, slash)).trim();
        if (ip.indexOf(':') >= 0) {
            try {
                return java.net.InetAddress.getByName(ip).getHostAddress(); // an IPv6 literal: never a lookup
            } catch (java.net.UnknownHostException e) {
                return ip;
            }
        }
        return ip;
    }
}
