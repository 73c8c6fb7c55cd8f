package dev.calicorr.routereflector.kube;

import dev.calicorr.core.kube.CalicoResource;
import io.kubernetes.client.openapi.models.V1ObjectMeta;

/**
 * Calico {@code BGPConfiguration} ({@code crd.projectcalico.org/v1}, cluster-scoped); only the
 * object named {@value #DEFAULT_NAME} counts. Only {@code spec.nodeToNodeMeshEnabled} is modelled:
 * it is changed by merge patch only, so fields we do not model are never dropped.
 */
public class BgpConfiguration extends CalicoResource {
    public static final String PLURAL = "bgpconfigurations";
    public static final String KIND = "BGPConfiguration";
    public static final String DEFAULT_NAME = "default";

    private Spec spec;

    public BgpConfiguration() {
        super(KIND, null);
    }

    public BgpConfiguration(V1ObjectMeta metadata, Spec spec) {
        super(KIND, metadata);
        this.spec = spec;
    }

    public Spec getSpec() {
        return spec;
    }

    /** Calico's default when the field (or the whole object) is absent: the mesh is on. */
    public boolean meshEnabled() {
        return spec == null || spec.nodeToNodeMeshEnabled == null || spec.nodeToNodeMeshEnabled;
    }

    /** {@code spec}. */
    public static class Spec {
        private Boolean nodeToNodeMeshEnabled;

        public Spec() {
        }

        public Spec(Boolean nodeToNodeMeshEnabled) {
            this.nodeToNodeMeshEnabled = nodeToNodeMeshEnabled;
        }

        /** Null when unset. */
        public Boolean getNodeToNodeMeshEnabled() {
            return nodeToNodeMeshEnabled;
        }
    }
}
