package dev.calicorr.routereflector.apply;

import dev.calicorr.core.kube.ApiUnavailableException;
import dev.calicorr.core.kube.Responses;
import dev.calicorr.routereflector.datastore.CalicoStore;
import dev.calicorr.routereflector.kube.BgpPeer;
import io.kubernetes.client.extended.event.EventType;
import io.kubernetes.client.extended.event.legacy.EventRecorder;
import io.kubernetes.client.util.generic.KubernetesApiResponse;
import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * BGPPeers left by the route reflector fork of kube-controllers ({@code rrs-to-rrs},
 * {@code peer-to-rrs-*}) that we do not own: reported once each (log line and Event), and deleted
 * only when the user opts in with {@code adoptLegacyPeers: true}, after our own topology is in
 * place and its BGP sessions are up, so clients never lose their sessions in the hand-over.
 */
public final class LegacyPeers {
    private static final Logger log = LoggerFactory.getLogger(LegacyPeers.class);

    private final CalicoStore<BgpPeer> api;
    private final EventRecorder events;
    private final boolean dryRun;
    private final Set<String> reported = new HashSet<>();

    public LegacyPeers(CalicoStore<BgpPeer> api, EventRecorder events, boolean dryRun) {
        this.api = api;
        this.events = events;
        this.dryRun = dryRun;
    }

    public static boolean isLegacy(BgpPeer peer) {
        String name = peer.getMetadata().getName();
        return !StepExecutor.isOwned(peer) && (name.equals("rrs-to-rrs") || name.startsWith("peer-to-rrs-"));
    }

    /**
     * Call once our topology is converged.
     *
     * @param notYet empty when our topology's BGP sessions are up, else how soon to look again:
     *               deleting a legacy peer is a break step and waits for them
     * @return when to look again, while a deletion waits
     */
    Optional<Duration> handle(Collection<BgpPeer> peers, boolean adopt, Optional<Duration> notYet)
            throws ApiUnavailableException {
        Optional<Duration> recheck = Optional.empty();
        for (BgpPeer peer : peers) {
            if (!isLegacy(peer)) {
                continue;
            }
            String name = peer.getMetadata().getName();
            if (adopt && !dryRun && notYet.isPresent()) {
                log.debug("legacy BGPPeer {} is deleted once the BGP sessions of our topology are up", name);
                recheck = notYet;
            } else if (adopt && !dryRun) {
                KubernetesApiResponse<BgpPeer> response = Responses.call("deleting legacy BGPPeer " + name,
                        () -> api.delete(name));
                if (response.isSuccess() || response.getHttpStatusCode() == 404) {
                    log.info("deleted legacy BGPPeer {} reason=adoptLegacyPeers (our topology is in place)", name);
                    events.event(peer, EventType.Normal, "LegacyPeerReplaced", "%s",
                            "Replaced by the BGPPeers of calico-rr-controller (adoptLegacyPeers: true)");
                }
            } else if (reported.add(name)) {
                log.warn("BGPPeer {} looks like the route reflector fork's and is not ours: left alone; set "
                        + "adoptLegacyPeers: true to have it replaced once our topology is in place", name);
                events.event(peer, EventType.Warning, "LegacyPeerFound", "%s",
                        "Left alone: set adoptLegacyPeers: true in the routereflector configuration to replace it");
            }
        }
        return recheck;
    }
}
