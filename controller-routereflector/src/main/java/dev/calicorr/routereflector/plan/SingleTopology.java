package dev.calicorr.routereflector.plan;

import dev.calicorr.routereflector.config.ClusterIdTemplate;
import dev.calicorr.routereflector.model.PeerFacts;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** The {@code single} topology: one cluster ID shared by every RR, every client peers with every RR. */
final class SingleTopology implements Topology {
    private final ClusterIdTemplate template;

    SingleTopology(ClusterIdTemplate template) {
        this.template = template;
    }

    /** No groups: the clients' peer selects every client. */
    @Override
    public Map<String, List<Integer>> assignClients(List<View> views, List<View> serving,
            Map<String, PeerFacts> observedPeers, List<String> warnings) {
        return Map.of();
    }

    @Override
    public String clusterId(View rr) {
        return template.sharedId();
    }

    @Override
    public List<PeerFacts> peers(String rrSelector, Map<String, List<Integer>> groups, Set<String> used) {
        return List.of(Peers.mesh(rrSelector), new PeerFacts(Peers.CLIENTS_PEER, "!(" + rrSelector + ")", rrSelector));
    }

    @Override
    public Map<String, Integer> clientsPerRr(List<View> targets, Map<String, List<Integer>> groups,
            Map<String, int[]> clientsPerGroup, int clients) {
        Map<String, Integer> perRr = new TreeMap<>();
        targets.forEach(t -> perRr.put(t.name(), clients));
        return perRr;
    }
}
