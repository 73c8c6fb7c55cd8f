/**
 * Immutable facts the planner reads (nodes, owned BGPPeers) and every name the controller puts on the cluster.
 */
package dev.calicorr.routereflector.model;
