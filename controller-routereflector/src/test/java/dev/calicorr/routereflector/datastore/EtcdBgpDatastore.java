package dev.calicorr.routereflector.datastore;

import dev.calicorr.testsupport.bgp.BgpDatastore;
import java.util.Map;

/**
 * Real BGP on Calico's etcd: confd and the status reporter in etcdv3 mode; the Calico Node with its
 * BGP address and the IPPool made with calicoctl, as an operator and calico-node make them; a block
 * affinity under libcalico-go's IPAM key, as Calico's IPAM writes it (calicoctl has no kind for it).
 */
public final class EtcdBgpDatastore implements BgpDatastore {
    private final CalicoEtcd etcd;

    public EtcdBgpDatastore(CalicoEtcd etcd) {
        this.etcd = etcd;
    }

    @Override
    public Map<String, String> environment() {
        return etcd.environment();
    }

    /** Nothing: etcd holds any key. */
    @Override
    public void install() {
    }

    @Override
    public void createPool(String name, String cidr) {
        apply("apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: " + name + "\nspec:\n  cidr: " + cidr
                + "\n  blockSize: 26\n  ipipMode: Never\n  vxlanMode: Never\n  natOutgoing: false\n"
                + "  nodeSelector: all()\n");
    }

    @Override
    public void deletePool(String name) {
        calicoctl("delete", "ippool", name);
    }

    @Override
    public void registerNode(String node, String address) {
        apply("apiVersion: projectcalico.org/v3\nkind: Node\nmetadata:\n  name: " + node
                + "\n  labels:\n    kubernetes.io/hostname: " + node + "\nspec:\n  bgp:\n    ipv4Address: " + address + "\n");
    }

    @Override
    public void deregisterNode(String node) {
        calicoctl("delete", "node", node);
    }

    @Override
    public void createAffinity(String node, String block) {
        try {
            etcd.put(affinityKey(node, block), "{\"state\":\"confirmed\",\"deleted\":false}");
        } catch (Exception e) {
            throw new IllegalStateException("putting the affinity of " + block + " to " + node, e);
        }
    }

    @Override
    public void deleteAffinity(String node, String block) {
        try {
            etcd.delete(affinityKey(node, block));
        } catch (Exception e) {
            throw new IllegalStateException("deleting the affinity of " + block + " to " + node, e);
        }
    }

    /** Nothing: the etcd goes with the test. */
    @Override
    public void uninstall() {
    }

    /** libcalico-go's BlockAffinityKey: the block's CIDR with its slash as a dash. */
    private static String affinityKey(String node, String block) {
        return "/calico/ipam/v2/host/" + node + "/ipv4/block/" + block.replace('/', '-');
    }

    private void apply(String yaml) {
        try {
            etcd.apply(yaml);
        } catch (Exception e) {
            throw new IllegalStateException("calicoctl apply of " + yaml, e);
        }
    }

    private void calicoctl(String... args) {
        try {
            CalicoEtcd.Result result = etcd.calicoctl(args);
            if (!result.ok()) {
                throw new IllegalStateException("calicoctl " + String.join(" ", args) + ": " + result.output());
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
