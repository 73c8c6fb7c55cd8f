package dev.calicorr.routereflector.plan;

import dev.calicorr.routereflector.model.Names;
import dev.calicorr.routereflector.model.PeerFacts;
import dev.calicorr.routereflector.selector.Selector;
import dev.calicorr.routereflector.selector.SelectorParseException;
import dev.calicorr.routereflector.selector.Selectors;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A plan's steps in their make and break phases, with each BGPPeer in the form the make phase
 * writes it: no session is removed before the ones that replace it are up.
 */
final class Phasing {
    private Phasing() {
    }

    /**
     * The steps in their two phases. Make: dead RRs' demotions (they serve nobody), RR labels,
     * every peer in its make form, cluster IDs, client moves that keep a serving RR. Break: the
     * serving RRs that change index, the other client moves, then each peer in its final form,
     * obsolete peers deleted, demotions.
     */
    static Plan.Phases order(NodeWrites writes, List<PeerFacts> peers, Map<String, PeerFacts> observedPeers) {
        List<Step> peerWrites = new ArrayList<>();
        List<Step> cleanup = new ArrayList<>();
        Set<String> wanted = new HashSet<>();
        for (PeerFacts peer : peers) {
            wanted.add(peer.name());
            PeerFacts observed = observedPeers.get(peer.name());
            PeerFacts make = makeForm(peer, observed, writes);
            String reason = make.equals(peer) ? "topology"
                    : !make.nodeSelector().equals(peer.nodeSelector())
                            ? "topology (also the clients moving in, until their new sessions are up)"
                            : "topology (old and new RRs while the new ones start serving)";
            if (observed == null) {
                peerWrites.add(new Step.CreatePeer(make, reason));
            } else if (!observed.equals(make)) {
                peerWrites.add(new Step.UpdatePeer(make, reason));
            }
            if (!make.equals(peer)) {
                cleanup.add(new Step.UpdatePeer(peer, "topology"));
            }
        }
        observedPeers.keySet().stream().filter(name -> !wanted.contains(name))
                .forEach(name -> cleanup.add(new Step.DeletePeer(name, "obsolete")));
        List<Step> make = new ArrayList<>();
        make.addAll(writes.dead);
        make.addAll(writes.label);
        make.addAll(peerWrites);
        make.addAll(writes.serve);
        make.addAll(writes.move);
        make.addAll(writes.join);
        List<Step> steps = new ArrayList<>(make);
        steps.addAll(writes.relabelServing);
        steps.addAll(writes.reserve);
        steps.addAll(writes.moveAcross);
        steps.addAll(cleanup);
        steps.addAll(writes.unserve);
        steps.addAll(writes.unlabel);
        return new Plan.Phases(steps, make.size());
    }

    /**
     * A peer as the make phase writes it: it keeps every live RR the observed one selects while
     * the new ones start serving (its peerSelector the union of both), and a group's peer also
     * selects the current groups of the clients moving across into it, so they have sessions
     * with its RRs before they leave their old ones. Idempotent: a make form already written is
     * written again as it is, so a plan whose make phase is done has only break steps.
     */
    private static PeerFacts makeForm(PeerFacts desired, PeerFacts observed, NodeWrites writes) {
        Set<String> movingIn = desired.name().startsWith(Peers.GROUP_PEER_PREFIX)
                ? writes.widenFor.get(desired.name().substring(Peers.GROUP_PEER_PREFIX.length())) : null;
        String nodeSelector = desired.nodeSelector();
        if (movingIn != null) {
            List<String> selected = new ArrayList<>(movingIn);
            selected.add(desired.name().substring(Peers.GROUP_PEER_PREFIX.length()));
            selected.sort(Comparator.naturalOrder());
            nodeSelector = Selectors.in(Names.GROUP_LABEL, selected);
        }
        if (observed == null || observed.peerSelector().equals(desired.peerSelector())) {
            return new PeerFacts(desired.name(), nodeSelector, desired.peerSelector());
        }
        boolean replaced = !observed.nodeSelector().equals(desired.nodeSelector())
                && !observed.nodeSelector().equals(nodeSelector);
        if (replaced || selectsAll(desired, observed, writes.reflectorLabels)) {
            // a new set of local nodes, or no RR dropped: a plain replacement
            return new PeerFacts(desired.name(), nodeSelector, desired.peerSelector());
        }
        // Narrowing drops RRs the clients still use: first peer with old and new RRs (the new
        // ones serve before the clients move), narrow only in the break phase.
        String peerSelector = selectsAll(observed, desired, writes.reflectorLabels) ? observed.peerSelector()
                : "(" + observed.peerSelector() + ") || (" + desired.peerSelector() + ")";
        return new PeerFacts(desired.name(), nodeSelector, peerSelector);
    }

    /** Whether {@code wide} selects every live RR (labels after this plan) that {@code narrow} selects. */
    private static boolean selectsAll(PeerFacts wide, PeerFacts narrow, List<Map<String, String>> reflectorLabels) {
        Selector outer;
        Selector inner;
        try {
            outer = Selector.parse(wide.peerSelector());
            inner = Selector.parse(narrow.peerSelector());
        } catch (SelectorParseException e) {
            return true; // not ours to keep: a plain replacement
        }
        for (Map<String, String> labels : reflectorLabels) {
            if (inner.matches(labels) && !outer.matches(labels)) {
                return false;
            }
        }
        return true;
    }
}
