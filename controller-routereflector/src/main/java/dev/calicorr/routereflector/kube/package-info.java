/**
 * Kubernetes types for Calico BGPPeers and the reading of Node objects into planner facts (with the informer's slimming transform).
 */
package dev.calicorr.routereflector.kube;
