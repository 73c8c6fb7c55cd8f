package dev.calicorr.routereflector.plan;

import dev.calicorr.routereflector.model.Names;
import dev.calicorr.routereflector.model.PeerFacts;
import dev.calicorr.routereflector.selector.Selector;
import dev.calicorr.routereflector.selector.SelectorParseException;
import dev.calicorr.routereflector.selector.Selectors;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;

/** Our BGPPeers by name, in the forms the topologies want them, and what the observed group peers select. */
final class Peers {
    static final String MESH_PEER = Names.PEER_NAME_PREFIX + "mesh";
    static final String CLIENTS_PEER = Names.PEER_NAME_PREFIX + "clients";
    static final String GROUP_PEER_PREFIX = Names.PEER_NAME_PREFIX + "group-";
    /** hierarchy: every RR peers with the spines (spines mesh among themselves through it too) */
    static final String SPINE_PEER = Names.PEER_NAME_PREFIX + "spine";

    private Peers() {
    }

    /** Every RR with every RR. */
    static PeerFacts mesh(String rrSelector) {
        return new PeerFacts(MESH_PEER, rrSelector, rrSelector);
    }

    /** Per group that has clients ({@code used}), its clients with its RRs, in the groups' order. */
    static List<PeerFacts> groups(Map<String, List<Integer>> groups, Set<String> used) {
        List<PeerFacts> peers = new ArrayList<>();
        groups.forEach((group, members) -> {
            if (used.contains(group)) {
                peers.add(new PeerFacts(GROUP_PEER_PREFIX + group, Selectors.equal(Names.GROUP_LABEL, group),
                        indexIn(members)));
            }
        });
        return peers;
    }

    /** The RRs of these indexes. */
    static String indexIn(List<Integer> indexes) {
        return Selectors.in(Names.RR_INDEX_LABEL, indexes.stream().map(String::valueOf).toList());
    }

    /**
     * The RR indexes each observed group BGPPeer of ours selects in its last form (a make form
     * selects old and new, the new last), by group id; a selector we did not write is left out.
     */
    static Map<String, List<Integer>> groupIndexes(Map<String, PeerFacts> observedPeers) {
        Map<String, List<Integer>> indexes = new HashMap<>();
        observedPeers.forEach((name, peer) -> {
            if (!name.startsWith(GROUP_PEER_PREFIX)) {
                return;
            }
            Optional<SortedSet<String>> values;
            try {
                values = Selectors.lastIn(Selector.parse(peer.peerSelector()), Names.RR_INDEX_LABEL);
            } catch (SelectorParseException e) {
                return;
            }
            List<Integer> members = new ArrayList<>();
            for (String value : values.orElse(Collections.emptySortedSet())) {
                try {
                    members.add(Integer.parseInt(value));
                } catch (NumberFormatException e) {
                    return;
                }
            }
            if (!members.isEmpty()) {
                indexes.put(name.substring(GROUP_PEER_PREFIX.length()), members);
            }
        });
        return indexes;
    }
}
