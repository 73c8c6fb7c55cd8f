package dev.calicorr.testsupport.bgp;

import dev.calicorr.testsupport.ControlPlane;
import dev.calicorr.testsupport.ControlPlaneException;
import dev.calicorr.testsupport.SimulatedNodes;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CustomObjectsApi;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kubernetes datastore (KDD) of the test apiserver: this Calico version's CRDs, the node's
 * BGP address as the annotation calico-node writes, IPPool and BlockAffinity CRs.
 */
final class KubernetesBgpDatastore implements BgpDatastore {
    private static final Logger log = LoggerFactory.getLogger(KubernetesBgpDatastore.class);

    private final ControlPlane plane;
    private final CalicoParts parts;
    private final SimulatedNodes simulated;

    KubernetesBgpDatastore(ControlPlane plane, CalicoParts parts) {
        this.plane = plane;
        this.parts = parts;
        this.simulated = new SimulatedNodes(plane.adminClient());
    }

    @Override
    public Map<String, String> environment() {
        return Map.of("DATASTORE_TYPE", "kubernetes", "KUBECONFIG", plane.adminKubeconfig().toString());
    }

    /** All of this Calico version's CRDs but KubeControllersConfiguration, whose superset with our section stays. */
    @Override
    public void install() {
        parts.installCrds(plane, false);
    }

    @Override
    public void createPool(String name, String cidr) {
        create("ippools", Map.of("apiVersion", BgpNetwork.GROUP + "/v1", "kind", "IPPool",
                "metadata", Map.of("name", name),
                "spec", Map.of("cidr", cidr, "blockSize", 26, "ipipMode", "Never", "vxlanMode", "Never",
                        "natOutgoing", false, "nodeSelector", "all()")));
    }

    @Override
    public void deletePool(String name) {
        delete("ippools", name);
    }

    @Override
    public void registerNode(String node, String address) {
        simulated.annotate(node, "projectcalico.org/IPv4Address", address);
    }

    /** Nothing: the Node's annotation went with the Node. */
    @Override
    public void deregisterNode(String node) {
    }

    @Override
    public void createAffinity(String node, String block) {
        create("blockaffinities", Map.of("apiVersion", BgpNetwork.GROUP + "/v1", "kind", "BlockAffinity",
                "metadata", Map.of("name", affinityName(node, block)),
                "spec", Map.of("state", "confirmed", "node", node, "cidr", block, "deleted", "false")));
    }

    @Override
    public void deleteAffinity(String node, String block) {
        delete("blockaffinities", affinityName(node, block));
    }

    /** Our CRDs again, for the tests that run after this one in the JVM. */
    @Override
    public void uninstall() {
        plane.installCrds();
    }

    private static String affinityName(String node, String block) {
        // libcalico-go's KDD name for a block affinity: <node>-<cidr with dots and slash as dashes>
        return node + "-" + block.replace('.', '-').replace('/', '-');
    }

    private void create(String plural, Map<String, Object> body) {
        try {
            new CustomObjectsApi(plane.adminClient()).createClusterCustomObject(BgpNetwork.GROUP, "v1", plural, body)
                    .execute();
        } catch (ApiException e) {
            throw new ControlPlaneException("creating " + plural + " " + body.get("metadata") + ": " + e.getCode() + " "
                    + e.getResponseBody(), e);
        }
    }

    private void delete(String plural, String name) {
        try {
            new CustomObjectsApi(plane.adminClient()).deleteClusterCustomObject(BgpNetwork.GROUP, "v1", plural, name)
                    .execute();
        } catch (ApiException e) {
            if (e.getCode() != 404) {
                log.warn("deleting {} {}: {} {}", plural, name, e.getCode(), e.getResponseBody());
            }
        }
    }
}
