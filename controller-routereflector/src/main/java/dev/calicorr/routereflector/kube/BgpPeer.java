package dev.calicorr.routereflector.kube;

import dev.calicorr.core.kube.CalicoResource;
import io.kubernetes.client.openapi.models.V1ObjectMeta;

/**
 * Calico {@code BGPPeer} ({@code crd.projectcalico.org/v1}, cluster-scoped), with only the spec
 * fields this controller sets. Our writes are merge patches of these fields, so fields we do not
 * model are never dropped from an object.
 */
public class BgpPeer extends CalicoResource {
    public static final String PLURAL = "bgppeers";
    public static final String KIND = "BGPPeer";

    private Spec spec;

    public BgpPeer() {
        super(KIND, null);
    }

    public BgpPeer(V1ObjectMeta metadata, Spec spec) {
        super(KIND, metadata);
        this.spec = spec;
    }

    public Spec getSpec() {
        return spec;
    }

    /** {@code spec}: which nodes (nodeSelector) peer with which peers (peerSelector). */
    public static class Spec {
        private String nodeSelector;
        private String peerSelector;

        public Spec() {
        }

        public Spec(String nodeSelector, String peerSelector) {
            this.nodeSelector = nodeSelector;
            this.peerSelector = peerSelector;
        }

        public String getNodeSelector() {
            return nodeSelector;
        }

        public String getPeerSelector() {
            return peerSelector;
        }
    }
}
