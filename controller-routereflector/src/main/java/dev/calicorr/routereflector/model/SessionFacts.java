package dev.calicorr.routereflector.model;

/**
 * What calico-node reports in a route reflector's {@code CalicoNodeStatus} about its BGP sessions
 * with other nodes (peers that are not Ready, or not nodes at all, are left out).
 *
 * @param established    sessions in state Established
 * @param notEstablished sessions in any other state (Connect, Active, OpenSent, …)
 * @param verified       since it started serving, it has reported at least one session and all of
 *                       them Established at once: it has taken over the clients it was given
 */
public record SessionFacts(int established, int notEstablished, boolean verified) {
}
