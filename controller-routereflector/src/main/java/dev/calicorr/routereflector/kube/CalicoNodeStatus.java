package dev.calicorr.routereflector.kube;

import dev.calicorr.core.kube.CalicoResource;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import java.util.List;

/**
 * Calico {@code CalicoNodeStatus} ({@code crd.projectcalico.org/v1}, cluster-scoped): asks
 * calico-node on {@code spec.node} to report the classes of {@code spec.classes} every
 * {@code spec.updatePeriodSeconds} (it writes only when something changed) into {@code status}.
 * Only what the controller reads is modelled: the BGP class (agent and routes are dropped on read).
 */
public class CalicoNodeStatus extends CalicoResource {
    public static final String PLURAL = "caliconodestatuses";
    public static final String KIND = "CalicoNodeStatus";
    public static final String CLASS_BGP = "BGP";
    public static final String ESTABLISHED = "Established";

    private Spec spec;
    private Status status;

    public CalicoNodeStatus() {
        super(KIND, null);
    }

    public CalicoNodeStatus(V1ObjectMeta metadata, Spec spec) {
        super(KIND, metadata);
        this.spec = spec;
    }

    public Spec getSpec() {
        return spec;
    }

    public Status getStatus() {
        return status;
    }

    /** {@code spec}: which node reports, what, and how often. */
    public static class Spec {
        private String node;
        private List<String> classes;
        private Integer updatePeriodSeconds;

        public Spec() {
        }

        public Spec(String node, List<String> classes, Integer updatePeriodSeconds) {
            this.node = node;
            this.classes = classes;
            this.updatePeriodSeconds = updatePeriodSeconds;
        }

        public String getNode() {
            return node;
        }

        public List<String> getClasses() {
            return classes == null ? List.of() : classes;
        }

        public Integer getUpdatePeriodSeconds() {
            return updatePeriodSeconds;
        }
    }

    /** {@code status}, written by calico-node. */
    public static class Status {
        /** RFC 3339, set by calico-node on each write; null until it first reports. */
        private String lastUpdated;
        private Bgp bgp;

        public Status() {
        }

        public Status(String lastUpdated, Bgp bgp) {
            this.lastUpdated = lastUpdated;
            this.bgp = bgp;
        }

        public String getLastUpdated() {
            return lastUpdated;
        }

        public Bgp getBgp() {
            return bgp;
        }
    }

    /** {@code status.bgp}: the node's BGP sessions, per IP family. */
    public static class Bgp {
        private Integer numberEstablishedV4;
        private Integer numberNotEstablishedV4;
        private Integer numberEstablishedV6;
        private Integer numberNotEstablishedV6;
        private List<Peer> peersV4;
        private List<Peer> peersV6;

        public Bgp() {
        }

        public Bgp(List<Peer> peersV4, List<Peer> peersV6) {
            this.peersV4 = peersV4;
            this.peersV6 = peersV6;
            this.numberEstablishedV4 = (int) peersV4.stream().filter(Peer::established).count();
            this.numberNotEstablishedV4 = peersV4.size() - numberEstablishedV4;
            this.numberEstablishedV6 = (int) peersV6.stream().filter(Peer::established).count();
            this.numberNotEstablishedV6 = peersV6.size() - numberEstablishedV6;
        }

        public List<Peer> getPeersV4() {
            return peersV4 == null ? List.of() : peersV4;
        }

        public List<Peer> getPeersV6() {
            return peersV6 == null ? List.of() : peersV6;
        }
    }

    /**
     * One BGP session: the peer's IP (no prefix length), how calico-node configured it
     * ({@code NodeMesh}, {@code NodePeer}, {@code GlobalPeer}), its BIRD state and BIRD's
     * {@code since} column (a BIRD time, not RFC 3339).
     */
    public record Peer(String peerIP, String type, String state, String since) {
        public boolean established() {
            return ESTABLISHED.equals(state);
        }
    }
}
