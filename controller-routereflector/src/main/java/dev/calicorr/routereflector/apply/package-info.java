/**
 * All API I/O of the controller: informers and work queue, the reconciler, step execution (merge patches, owned objects only), legacy peer hand-over, the topology report.
 * Beside the objects it reads, the reconciler keeps what this leader observed by its own clock ({@link dev.calicorr.routereflector.apply.LeaderObservations}: refused and vanished nodes, NotReady grace, serving-since) and which object holds each planned BGPPeer ({@link dev.calicorr.routereflector.apply.PeerNames}).
 */
package dev.calicorr.routereflector.apply;
