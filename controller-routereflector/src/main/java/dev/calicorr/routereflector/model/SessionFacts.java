package dev.calicorr.routereflector.model;

/**
 * What calico-node reports in a route reflector's {@code CalicoNodeStatus} about its BGP sessions
 * with other nodes (peers that are not Ready, or not nodes at all, are left out).
 *
 * @param established    sessions in state Established
 * @param notEstablished sessions in any other state (Connect, Active, OpenSent, …)
 * @param pending        of those, the ones not yet down for {@code sessionStuckAfter}: still coming up
 * @param verified       since it started serving, it has had at least one session Established, none
 *                       pending, and fewer stuck than Established: it has taken over its clients
 */
public record SessionFacts(int established, int notEstablished, int pending, boolean verified) {
}
