/**
 * Calico's own parts for integration tests, built from the pinned calico module: real BGP (Calico's
 * confd, Debian's BIRD and calico-node's status reporter per simulated node, each node in a network
 * namespace of its own, 198.18.0.0/15 only, driven by the objects in the test control plane; and a
 * sampler that measures route gaps), and the real calico-kube-controllers beside our host.
 */
package dev.calicorr.testsupport.bgp;
