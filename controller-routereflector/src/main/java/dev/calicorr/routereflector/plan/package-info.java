/**
 * The pure planner: from observed nodes, owned BGPPeers and the configuration to the ordered
 * writes of the target route reflector topology. Imports nothing from the Kubernetes client; no
 * clock, no randomness.
 *
 * <p>{@link dev.calicorr.routereflector.plan.Planner} runs the pipeline. The passes every topology
 * shares: reading the nodes ({@code View}), the zone seat split ({@code ZoneSplit}), selection
 * ({@code Selection}), the node patches ({@code NodeWrites}) and the make and break phases
 * ({@code Phasing}). What differs per topology is one {@code Topology} each: {@code
 * SingleTopology}, {@code MultiTopology}, {@code QuorumTopology}, {@code HierarchyTopology}.
 */
package dev.calicorr.routereflector.plan;
