package dev.calicorr.testsupport.bgp;

import java.util.Map;

/**
 * Where Calico's data is for real BGP: what confd and the status reporter read and write, and what
 * calico-node and Calico's IPAM put there that confd renders BIRD's config from (a node's BGP
 * address, the IPPool, a node's block affinity). Everything the controller writes (labels, cluster
 * IDs, BGPPeers, BGPConfiguration) it writes itself, to the datastore it is pointed at.
 */
public interface BgpDatastore {
    /** The variables calico-node's processes get for this datastore ({@code DATASTORE_TYPE} and its own). */
    Map<String, String> environment();

    /** Before the first node: whatever the datastore needs to hold Calico's resources. */
    void install();

    void createPool(String name, String cidr);

    void deletePool(String name);

    /** What calico-node does when it starts on a node: its BGP address ({@code 198.18.0.i/16}). */
    void registerNode(String node, String address);

    /** What calico-kube-controllers does when a node is gone: its Calico data removed. */
    void deregisterNode(String node);

    /** A confirmed affinity of {@code block} to {@code node}, as Calico's IPAM writes it when it claims the block. */
    void createAffinity(String node, String block);

    void deleteAffinity(String node, String block);

    /** After the network is gone: what {@link #install()} changed, put back for the tests after it. */
    void uninstall();
}
