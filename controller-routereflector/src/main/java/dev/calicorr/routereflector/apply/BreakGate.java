package dev.calicorr.routereflector.apply;

import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.model.ClusterSnapshot;
import dev.calicorr.routereflector.model.Names;
import dev.calicorr.routereflector.model.NodeFacts;
import dev.calicorr.routereflector.plan.Plan;
import dev.calicorr.routereflector.plan.Step;
import dev.calicorr.routereflector.sim.Bgp;
import dev.calicorr.routereflector.sim.ClusterModel;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Whether a plan's break steps may run now (pure: no API). The sessions that matter are those of
 * every node the break steps take a session from: each session of that node that exists once the
 * make steps are written and is still there after the break steps (the ones it keeps, among them
 * the ones the make steps created). The break steps wait until every such session is Established in
 * a fresh report of the CalicoNodeStatus of either end, or reported stuck; where neither end reports (no
 * CalicoNodeStatus CRD, calico-node silent or not reporting yet, no status for that node), until
 * sessionSettleDelay has passed since the last write. A new RR whose status calico-node has yet to
 * fill in is waited for (up to sessionStuckAfter). A node that would keep only stuck sessions while it still has a
 * working one holds the break steps back too: cutting it off would take its routes.
 *
 * <p>Fresh: calico-node writes a status only when what BIRD says changed, at most every
 * {@link SessionChecks#UPDATE_PERIOD_SECONDS}, so a status may show a session Established that our
 * last write is about to restart (a new cluster ID restarts every session of that node). A report
 * counts once this replica first saw it at least {@link #REPORT_LAG} after its last write (seen by
 * our clock, so calico-node's clock does not matter), or, when none came, once calico-node has had
 * a whole period after that lag to write one: its last report then still holds.
 *
 * <p>Sessions come from {@link Bgp} (what calico-node makes of the nodes and BGPPeers), computed
 * only for plans that have break steps: O(nodes × BGPPeers + sessions).
 */
final class BreakGate {
    /** How soon to look again while sessions come up; a status update wakes the reconcile sooner. */
    static final Duration RECHECK = Duration.ofSeconds(5);
    /**
     * How long after our write calico-node may still report BIRD as it was before it: the watch to
     * confd, confd's render and BIRD's reconfigure (well under a second on an idle node; the margin is
     * for a loaded one), and our watch of the status. A report first seen sooner does not count.
     */
    static final Duration REPORT_LAG = Duration.ofSeconds(3);
    /** After this long without a new report since our write, calico-node's last report holds (see above). */
    static final Duration REPORT_HOLDS = REPORT_LAG.plusSeconds(SessionChecks.UPDATE_PERIOD_SECONDS).plus(REPORT_LAG);

    private BreakGate() {
    }

    /**
     * Whether a report first seen at {@code reportSeen} (null: none) shows BIRD after a change
     * written at {@code changed}: seen {@link #REPORT_LAG} after it, or calico-node has had a whole
     * period since to write a newer one ({@link #REPORT_HOLDS}).
     */
    static boolean showsBirdAfter(Instant reportSeen, Instant changed, Instant now) {
        return reportSeen != null && !reportSeen.isBefore(changed.plus(REPORT_LAG)) || !now.isBefore(changed.plus(REPORT_HOLDS));
    }

    /**
     * Why the break steps wait.
     *
     * @param node       the node with the most sessions waited for
     * @param sessions   how many of its sessions
     * @param message    one operator line, e.g. {@code waiting for 3 BGP sessions of node-17 before ...}
     */
    record Hold(String node, int sessions, String message, Duration recheckAfter) {
    }

    /** UP only in a fresh report; STALE: Established in a report from before the change. */
    private enum Seen { UP, STUCK, PENDING, STALE, UNREPORTED }

    /**
     * @param lastWrite when the controller last wrote a step (its make steps of this reconcile
     *                  included); the settle delay and the bound on sessions never listed run from it
     */
    static Optional<Hold> check(ClusterSnapshot snapshot, Plan plan, SessionChecks.Observation sessions,
            RouteReflectorConfig config, Instant lastWrite, Instant now) {
        if (plan.breakSteps().isEmpty()) {
            return Optional.empty();
        }
        ClusterModel made = new ClusterModel(snapshot);
        plan.makeSteps().forEach(made::apply);
        Bgp before = new Bgp(made.nodes(), made.peers(), false, Set.of());
        ClusterModel broken = made.copy();
        plan.breakSteps().forEach(broken::apply);
        Bgp after = new Bgp(broken.nodes(), broken.peers(), false, Set.of());

        Reports reports = new Reports(snapshot, made, sessions, config, lastWrite, now);
        Map<String, int[]> waitedPerNode = new HashMap<>();
        /** sessions Established in a report from before the change: named only when nothing else is waited for */
        Map<String, int[]> stalePerNode = new HashMap<>();
        int waited = 0;
        boolean settling = false;
        boolean stale = false;
        String stuckNode = null;
        for (String node : before.upNodes()) {
            Set<String> had = before.sessionsOf(node);
            Set<String> then = after.sessionsOf(node);
            if (then.containsAll(had)) {
                continue; // loses nothing
            }
            boolean keepsOne = false;
            boolean keepsUp = false;
            boolean waitsHere = false;
            for (String peer : had) {
                if (!then.contains(peer)) {
                    continue;
                }
                keepsOne = true;
                Seen seen = reports.seen(node, peer);
                if (seen == Seen.UP) {
                    keepsUp = true;
                } else if (seen != Seen.STUCK) {
                    waited++;
                    waitsHere = true;
                    settling |= seen == Seen.UNREPORTED;
                    stale |= seen == Seen.STALE;
                    (seen == Seen.STALE ? stalePerNode : waitedPerNode)
                            .computeIfAbsent(reports.reflectorOf(node, peer), k -> new int[1])[0]++;
                }
            }
            if (keepsOne && !keepsUp && !waitsHere && stuckNode == null
                    && had.stream().map(peer -> reports.seen(node, peer)).anyMatch(s -> s == Seen.UP || s == Seen.STALE)) {
                stuckNode = node; // only stuck sessions would be left of a node that has a working one
            }
        }
        String change = describe(plan);
        if (waited > 0) {
            Set<String> nodes = new HashSet<>(waitedPerNode.keySet());
            nodes.addAll(stalePerNode.keySet());
            Map.Entry<String, int[]> most = (waitedPerNode.isEmpty() ? stalePerNode : waitedPerNode).entrySet().stream()
                    .max(Map.Entry.<String, int[]>comparingByValue((a, b) -> Integer.compare(a[0], b[0]))
                            .thenComparing(Map.Entry.comparingByKey((a, b) -> b.compareTo(a))))
                    .orElseThrow();
            String message = "waiting for " + sessionsText(most.getValue()[0]) + " of " + most.getKey()
                    + (nodes.size() > 1 ? " (" + waited + " in all, of " + nodes.size() + " nodes)" : "") + " before " + change
                    + (settling ? " (sessions calico-node does not report count as up "
                            + dev.calicorr.core.config.ConfigValues.formatDuration(config.sessionSettleDelay())
                            + " after the last change: sessionSettleDelay)" : "")
                    + (stale ? " (a CalicoNodeStatus calico-node wrote before the last change does not count; it "
                            + "reports within " + SessionChecks.UPDATE_PERIOD_SECONDS + "s of a change)" : "");
            Duration recheck = RECHECK;
            if (settling) {
                recheck = sooner(recheck, Duration.between(now, lastWrite.plus(config.sessionSettleDelay())));
            }
            if (stale) {
                recheck = sooner(recheck, Duration.between(now, lastWrite.plus(REPORT_HOLDS)));
            }
            return Optional.of(new Hold(most.getKey(), most.getValue()[0], message, recheck));
        }
        if (stuckNode != null) {
            return Optional.of(new Hold(stuckNode, 0, "waiting before " + change + ": " + stuckNode
                    + " would keep only BGP sessions that are reported stuck (BGPSessionStuck), and lose its working "
                    + "ones; fix calico-node or BGP (TCP 179) between the nodes", RECHECK));
        }
        return Optional.empty();
    }

    private static Duration sooner(Duration recheck, Duration left) {
        return left.compareTo(recheck) < 0 && !left.isNegative() ? left : recheck;
    }

    private static String sessionsText(int count) {
        return count + (count == 1 ? " BGP session" : " BGP sessions");
    }

    /** The first break step in operator words, and how many follow. */
    static String describe(Plan plan) {
        Step first = plan.breakSteps().get(0);
        int more = plan.breakSteps().size() - 1;
        String text;
        if (first instanceof Step.PatchNode patch) {
            if (patch.annotations().containsKey(Names.CLUSTER_ID_ANNOTATION)
                    && patch.annotations().get(Names.CLUSTER_ID_ANNOTATION) == null) {
                text = "demoting " + patch.node();
            } else if (patch.labels().containsKey(Names.RR_INDEX_LABEL)
                    && patch.labels().get(Names.RR_INDEX_LABEL) != null) {
                text = "re-indexing " + patch.node();
            } else if (patch.labels().containsKey(Names.GROUP_LABEL) && patch.labels().get(Names.GROUP_LABEL) != null) {
                text = "moving " + patch.node() + " to group " + patch.labels().get(Names.GROUP_LABEL);
            } else if (patch.labels().containsKey(Names.RR_INDEX_LABEL)) {
                text = "removing the route reflector labels of " + patch.node();
            } else {
                text = "changing " + patch.node();
            }
        } else if (first instanceof Step.UpdatePeer update) {
            text = "narrowing BGPPeer " + update.peer().name();
        } else if (first instanceof Step.DeletePeer delete) {
            text = "deleting BGPPeer " + delete.name();
        } else {
            text = first.toString();
        }
        return text + (more > 0 ? " and " + more + " more step(s)" : "");
    }

    /** What calico-node reports of each session. */
    private static final class Reports {
        private final ClusterModel made;
        private final SessionChecks.Observation observation;
        private final boolean settled;
        private final boolean givenUp;
        private final Instant lastWrite;
        private final Instant now;
        /** RRs labelled by this plan's make steps: calico-node reports here, their statuses are still to come */
        private final Set<String> labelledNow = new HashSet<>();

        Reports(ClusterSnapshot snapshot, ClusterModel made, SessionChecks.Observation observation,
                RouteReflectorConfig config, Instant lastWrite, Instant now) {
            this.made = made;
            this.observation = observation;
            if (observation.available()) {
                String key = config.routeReflectorLabelKey();
                for (NodeFacts node : snapshot.nodes()) {
                    NodeFacts after = made.node(node.name());
                    if (!node.labels().containsKey(key) && after != null && after.labels().containsKey(key)) {
                        labelledNow.add(node.name());
                    }
                }
            }
            this.settled = !now.isBefore(lastWrite.plus(config.sessionSettleDelay()));
            // a session a reporting RR never lists within sessionStuckAfter of the change counts as stuck
            this.givenUp = !now.isBefore(lastWrite.plus(config.sessionStuckAfter()));
            this.lastWrite = lastWrite;
            this.now = now;
        }

        Seen seen(String a, String b) {
            Seen fromA = reportOf(a, b);
            Seen fromB = reportOf(b, a);
            for (Seen seen : new Seen[] {Seen.UP, Seen.PENDING, Seen.STALE, Seen.STUCK}) {
                if (fromA == seen || fromB == seen) {
                    return seen;
                }
            }
            return settled ? Seen.UP : Seen.UNREPORTED;
        }

        private Seen reportOf(String reflector, String peer) {
            Set<String> up = observation.peers().establishedWith().get(reflector);
            if (up == null) {
                return labelledNow.contains(reflector) || observation.peers().awaitingReport().contains(reflector)
                        ? Seen.PENDING : Seen.UNREPORTED;
            }
            if (up.contains(peer)) {
                return showsBirdAfter(observation.peers().reportSeen().get(reflector), lastWrite, now) ? Seen.UP : Seen.STALE;
            }
            if (observation.peers().stuckWith().getOrDefault(reflector, Set.of()).contains(peer)) {
                return Seen.STUCK;
            }
            NodeFacts node = made.node(peer);
            if (node == null || !node.annotations().containsKey(Names.IPV4_ADDRESS_ANNOTATION)
                    && !node.annotations().containsKey(Names.IPV6_ADDRESS_ANNOTATION)) {
                return Seen.UNREPORTED; // no BGP address to find it by in the status
            }
            return givenUp ? Seen.STUCK : Seen.PENDING;
        }

        /** The end of a session that serves as RR (whose status lists it), for the operator's line. */
        String reflectorOf(String a, String b) {
            NodeFacts node = made.node(b);
            return node != null && node.annotations().containsKey(Names.CLUSTER_ID_ANNOTATION) ? b : a;
        }
    }
}
