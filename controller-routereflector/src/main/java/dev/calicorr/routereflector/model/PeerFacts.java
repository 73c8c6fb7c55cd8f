package dev.calicorr.routereflector.model;

import java.util.Objects;

/**
 * A {@code BGPPeer} the controller owns (label {@link Names#MANAGED_BY_LABEL}) as observed, or as it
 * should be. Only the fields the controller sets are modelled; {@code nodeSelector} and
 * {@code peerSelector} are Calico selector strings.
 */
public record PeerFacts(String name, String nodeSelector, String peerSelector) {
    public PeerFacts {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(nodeSelector, "nodeSelector");
        Objects.requireNonNull(peerSelector, "peerSelector");
    }
}
