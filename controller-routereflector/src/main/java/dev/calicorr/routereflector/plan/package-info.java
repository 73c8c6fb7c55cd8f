/**
 * The pure planner: from observed nodes, owned BGPPeers and the configuration to the ordered
 * writes of the target route reflector topology. Imports nothing from the Kubernetes client; no
 * clock, no randomness.
 */
package dev.calicorr.routereflector.plan;
