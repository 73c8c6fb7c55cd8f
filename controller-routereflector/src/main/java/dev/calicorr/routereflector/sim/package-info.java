/**
 * What calico-node makes of a cluster, without a cluster: {@link dev.calicorr.routereflector.sim.ClusterModel}
 * holds nodes and owned BGPPeers and applies plan steps as the API server would;
 * {@link dev.calicorr.routereflector.sim.Bgp} derives the BGP sessions and route reflection from them.
 * The plan CLI counts sessions with them; the tests judge topologies with them.
 */
package dev.calicorr.routereflector.sim;
