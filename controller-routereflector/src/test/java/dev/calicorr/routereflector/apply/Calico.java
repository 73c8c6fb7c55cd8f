package dev.calicorr.routereflector.apply;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.calicorr.routereflector.datastore.CalicoEtcd;
import dev.calicorr.routereflector.model.ClusterSnapshot;
import dev.calicorr.testsupport.ControlPlane;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Where Calico's resources are for an IT, in either datastore: how a test registers nodes, makes a
 * user's peer, edits our section, and reads back what the controller wrote as calico-node reads it.
 */
interface Calico extends AutoCloseable {
    ObjectMapper JSON = new ObjectMapper();
    ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    Map<String, String> environment();

    /** Creates {@code KubeControllersConfiguration/default} with this section where the datastore keeps it. */
    void createConfiguration(Map<String, Object> section) throws Exception;

    /** An operator's edit of our section: a JSON merge patch of it. */
    void editSection(String json) throws Exception;

    /** {@code default} as stored now, or a missing node when there is none. */
    JsonNode configuration() throws Exception;

    /**
     * {@code default} as Calico's own client reads it ({@code calicoctl get -o yaml}, which fails
     * on what it cannot decode), written back by it with another {@code logSeverityScreen}
     * ({@code calicoctl replace}): Calico's types have no field for our section, so it is dropped.
     *
     * @return what calicoctl read
     */
    JsonNode rewriteConfigurationWithCalicoctl(String logSeverityScreen) throws Exception;

    /** What calico-node does when it starts on a node. */
    void register(List<String> nodes) throws Exception;

    /** A BGPPeer an operator made: peerIP 198.18.9.9, AS 64512. */
    void createUserPeer() throws Exception;

    JsonNode userPeer() throws Exception;

    /** The nodes and our BGPPeers as calico-node sees them. */
    ClusterSnapshot observed(ControlPlane cp) throws Exception;

    /** Our CalicoNodeStatuses (managed-by label) where the datastore keeps them, by name. */
    Map<String, OurStatus> ourStatuses() throws Exception;

    /** What calico-node's status reporter writes: every session of the status's node Established. */
    void reportEstablished(String status, List<String> peerIps) throws Exception;

    /** A value that moves with every write of the controller to nodes and BGPPeers (and with nothing else). */
    Object writes(ControlPlane cp) throws Exception;

    /** Checks that ours is where this datastore keeps it, and nowhere else. */
    void checkWhereOursIs(ControlPlane cp, ClusterSnapshot snapshot) throws Exception;

    /** Whether calico-node's node-to-node mesh is on: BGPConfiguration {@code default}'s, on when there is none. */
    boolean meshOn() throws Exception;

    @Override
    void close();

    /** A CalicoNodeStatus of ours: its {@code spec.node}, and whether calico-node has reported in it. */
    record OurStatus(String node, boolean reported) {
    }

    /** The BGP address calico-node gives the i-th node of {@code DatastoresIT}'s cluster (node-000 is 198.18.0.1). */
    static String address(String node) {
        return "198.18.0." + (Integer.parseInt(node.substring(node.lastIndexOf('-') + 1)) + 1);
    }

    /** calico-node's report: every session Established, as its status reporter writes {@code status}. */
    static Map<String, Object> established(List<String> peerIps) {
        List<Map<String, Object>> peers = peerIps.stream().map(ip -> Map.<String, Object>of("peerIP", ip,
                "type", "NodePeer", "state", "Established", "since", "10:00:00")).toList();
        return Map.of("lastUpdated", Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString(),
                "bgp", Map.of("numberEstablishedV4", peers.size(), "numberNotEstablishedV4", 0,
                        "numberEstablishedV6", 0, "numberNotEstablishedV6", 0, "peersV4", peers));
    }

    /** calicoctl's get of {@code default}, then its replace with this log level. */
    static JsonNode rewriteWithCalicoctl(Path calicoctl, Path dir, Map<String, String> env,
            String logSeverityScreen) throws Exception {
        CalicoEtcd.Result replaced = null;
        for (int attempt = 0; attempt < 5; attempt++) { // as an operator does after "update conflict": again
            CalicoEtcd.Result got = CalicoEtcd.calicoctl(calicoctl, dir, env, Duration.ofSeconds(30), "get",
                    "kubecontrollersconfigurations", "default", "-o", "yaml");
            assertThat(got.ok()).as(got.output()).isTrue();
            JsonNode read = YAML.readTree(got.output());
            ((ObjectNode) read.get("spec")).put("logSeverityScreen", logSeverityScreen);
            Path file = Files.createTempFile(dir, "kcc", ".yaml");
            Files.writeString(file, YAML.writeValueAsString(read));
            replaced = CalicoEtcd.calicoctl(calicoctl, dir, env, Duration.ofSeconds(30), "replace", "-f",
                    file.toString());
            if (replaced.ok()) {
                return read;
            }
            if (!replaced.output().contains("conflict")) {
                break;
            }
        }
        throw new AssertionError("calicoctl replace failed: " + replaced.output());
    }
}
