/**
 * {@code kube-controllers plan}: the planner run once over a cluster (live, a node file or a
 * synthetic one) and a configuration, and what the plan amounts to: route reflectors, BGPPeers and
 * BGP sessions, or the writes the controller would make (docs/plan-cli.md).
 */
package dev.calicorr.routereflector.cli;
