package dev.calicorr.routereflector.kube;

import dev.calicorr.core.kube.CalicoApi;
import io.kubernetes.client.common.KubernetesObject;
import io.kubernetes.client.openapi.models.V1ObjectMeta;

/**
 * Calico {@code BGPPeer} ({@code crd.projectcalico.org/v1}, cluster-scoped), with only the spec
 * fields this controller sets. Our writes are merge patches of these fields, so fields we do not
 * model are never dropped from an object.
 */
public class BgpPeer implements KubernetesObject {
    public static final String PLURAL = "bgppeers";
    public static final String KIND = "BGPPeer";

    private String apiVersion = CalicoApi.API_VERSION;
    private String kind = KIND;
    private V1ObjectMeta metadata;
    private Spec spec;

    public BgpPeer() {
    }

    public BgpPeer(V1ObjectMeta metadata, Spec spec) {
        this.metadata = metadata;
        this.spec = spec;
    }

    @Override
    public V1ObjectMeta getMetadata() {
        return metadata;
    }

    @Override
    public String getApiVersion() {
        return apiVersion;
    }

    @Override
    public String getKind() {
        return kind;
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
