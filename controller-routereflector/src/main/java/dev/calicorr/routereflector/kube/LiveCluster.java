package dev.calicorr.routereflector.kube;

import dev.calicorr.core.kube.CalicoApi;
import dev.calicorr.routereflector.apply.PeerNames;
import dev.calicorr.routereflector.apply.StepExecutor;
import dev.calicorr.routereflector.model.ClusterSnapshot;
import dev.calicorr.routereflector.model.NodeFacts;
import dev.calicorr.routereflector.model.PeerFacts;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.models.V1Node;
import io.kubernetes.client.openapi.models.V1NodeList;
import io.kubernetes.client.util.generic.GenericKubernetesApi;
import io.kubernetes.client.util.generic.KubernetesApiResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Reads a cluster's nodes and owned BGPPeers with two LISTs, as the planner sees them. For tools
 * and tests that look at a cluster once; the controller itself reads its informer caches.
 */
public final class LiveCluster {
    private LiveCluster() {
    }

    public static ClusterSnapshot read(ApiClient client) {
        KubernetesApiResponse<V1NodeList> nodes =
                new GenericKubernetesApi<>(V1Node.class, V1NodeList.class, "", "v1", "nodes", client).list();
        KubernetesApiResponse<BgpPeerList> peers =
                CalicoApi.api(BgpPeer.class, BgpPeerList.class, BgpPeer.PLURAL, client).list();
        if (!nodes.isSuccess() || !peers.isSuccess()) {
            throw new IllegalStateException("cannot list nodes and BGPPeers: " + nodes.getHttpStatusCode() + " / "
                    + peers.getHttpStatusCode());
        }
        List<NodeFacts> facts = nodes.getObject().getItems().stream().map(NodeFactsReader::read).toList();
        return new ClusterSnapshot(facts, owned(peers.getObject().getItems()));
    }

    /** The peers we own, as the planner models them: by their planned names ({@link PeerNames}). */
    public static List<PeerFacts> owned(Iterable<BgpPeer> peers) {
        List<PeerFacts> owned = new ArrayList<>();
        for (BgpPeer peer : peers) {
            if (StepExecutor.isOwned(peer) && peer.getSpec() != null) {
                owned.add(new PeerFacts(PeerNames.plannedName(peer),
                        Objects.toString(peer.getSpec().getNodeSelector(), ""),
                        Objects.toString(peer.getSpec().getPeerSelector(), "")));
            }
        }
        return owned;
    }
}
