package dev.calicorr.routereflector.standin;

import dev.calicorr.routereflector.kube.BgpConfiguration;
import dev.calicorr.routereflector.kube.BgpConfigurationList;
import dev.calicorr.routereflector.kube.BgpPeer;
import dev.calicorr.routereflector.kube.BgpPeerList;
import dev.calicorr.routereflector.kube.CalicoNodeStatus;
import dev.calicorr.routereflector.kube.CalicoNodeStatusList;
import dev.calicorr.routereflector.kube.NodeFactsReader;
import dev.calicorr.routereflector.model.Names;
import dev.calicorr.routereflector.model.NodeFacts;
import dev.calicorr.routereflector.model.PeerFacts;
import dev.calicorr.routereflector.sim.Bgp;
import io.kubernetes.client.custom.V1Patch;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CustomObjectsApi;
import io.kubernetes.client.openapi.models.V1Node;
import io.kubernetes.client.openapi.models.V1NodeList;
import io.kubernetes.client.util.PatchUtils;
import io.kubernetes.client.util.generic.GenericKubernetesApi;
import io.kubernetes.client.util.generic.KubernetesApiResponse;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Plays calico-node for the integration tests, where no calico-node runs. Like calico-node at start
 * it gives every node a BGP address (the annotation {@code projectcalico.org/IPv4Address}, CIDR
 * form), and like its status reporter it fills the status of every CalicoNodeStatus that asks for
 * the {@code BGP} class on a node: {@code status.bgp.peersV4} lists the sessions that node has
 * (computed by {@link Bgp} from the live nodes, BGPPeers and {@code BGPConfiguration/default}'s
 * mesh setting), each in the state the test chooses (Established unless told otherwise), and
 * {@code status.lastUpdated}; written through the status subresource, and only when it changed,
 * as calico-node does. Uses the admin client; polls every 200 ms.
 */
public final class CalicoNodeStandIn implements AutoCloseable {
    public static final String ESTABLISHED = "Established";
    public static final String CONNECT = "Connect";
    private static final Logger log = LoggerFactory.getLogger(CalicoNodeStandIn.class);

    private final ApiClient client;
    private final CustomObjectsApi custom;
    private final GenericKubernetesApi<V1Node, V1NodeList> nodes;
    private final GenericKubernetesApi<BgpPeer, BgpPeerList> peers;
    private final GenericKubernetesApi<BgpConfiguration, BgpConfigurationList> bgpConfigurations;
    private final GenericKubernetesApi<CalicoNodeStatus, CalicoNodeStatusList> statuses;
    private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "calico-node-stand-in");
        thread.setDaemon(true);
        return thread;
    });
    private final AtomicInteger nextAddress = new AtomicInteger(1);
    private final AtomicInteger statusWrites = new AtomicInteger();
    private final Map<String, String> since = new ConcurrentHashMap<>();
    private volatile BiFunction<NodeFacts, NodeFacts, String> state = (local, peer) -> ESTABLISHED;

    public CalicoNodeStandIn(ApiClient admin) {
        this.client = admin;
        this.custom = new CustomObjectsApi(admin);
        this.nodes = new GenericKubernetesApi<>(V1Node.class, V1NodeList.class, "", "v1", "nodes", admin);
        this.peers = new GenericKubernetesApi<>(BgpPeer.class, BgpPeerList.class, "crd.projectcalico.org", "v1",
                BgpPeer.PLURAL, admin);
        this.bgpConfigurations = new GenericKubernetesApi<>(BgpConfiguration.class, BgpConfigurationList.class,
                "crd.projectcalico.org", "v1", BgpConfiguration.PLURAL, admin);
        this.statuses = new GenericKubernetesApi<>(CalicoNodeStatus.class, CalicoNodeStatusList.class,
                "crd.projectcalico.org", "v1", CalicoNodeStatus.PLURAL, admin);
    }

    /** One pass now (every node gets its address), then every 200 ms in the background. */
    public CalicoNodeStandIn start() {
        tick();
        loop.scheduleWithFixedDelay(this::tickLogged, 200, 200, TimeUnit.MILLISECONDS);
        return this;
    }

    /**
     * How each session is reported, asked from both ends: {@code (local, peer) -> state}, e.g.
     * {@link #CONNECT} for a session that never comes up. Both ends see the same state when the
     * function is symmetric.
     */
    public void sessionStates(BiFunction<NodeFacts, NodeFacts, String> function) {
        this.state = Objects.requireNonNull(function);
    }

    /** Every session Established. */
    public void allEstablished() {
        sessionStates((local, peer) -> ESTABLISHED);
    }

    /** How many status writes it made. */
    public int statusWrites() {
        return statusWrites.get();
    }

    /** The address it gave a node, without the prefix length. */
    public static String address(NodeFacts node) {
        String cidr = node.annotations().get(Names.IPV4_ADDRESS_ANNOTATION);
        return cidr == null ? null : cidr.substring(0, cidr.indexOf('/'));
    }

    private void tickLogged() {
        try {
            tick();
        } catch (RuntimeException e) {
            log.debug("stand-in pass failed (retried): {}", e.toString());
        }
    }

    /** One pass: addresses, then the status of every CalicoNodeStatus asking for BGP. */
    public synchronized void tick() {
        KubernetesApiResponse<V1NodeList> nodeList = nodes.list();
        if (!nodeList.isSuccess()) {
            return;
        }
        List<NodeFacts> facts = new ArrayList<>();
        for (V1Node node : nodeList.getObject().getItems()) {
            Map<String, String> annotations = node.getMetadata().getAnnotations();
            if (annotations == null || !annotations.containsKey(Names.IPV4_ADDRESS_ANNOTATION)) {
                int n = nextAddress.getAndIncrement();
                String cidr = "10.1." + (n / 250) + "." + (n % 250 + 1) + "/16";
                var patched = nodes.patch(node.getMetadata().getName(), V1Patch.PATCH_FORMAT_JSON_MERGE_PATCH,
                        new V1Patch("{\"metadata\":{\"annotations\":{\"" + Names.IPV4_ADDRESS_ANNOTATION + "\":\"" + cidr
                                + "\"}}}"));
                if (!patched.isSuccess()) {
                    continue;
                }
                node = patched.getObject();
            }
            facts.add(NodeFactsReader.read(node));
        }
        KubernetesApiResponse<BgpPeerList> peerList = peers.list();
        KubernetesApiResponse<CalicoNodeStatusList> statusList = statuses.list();
        if (!peerList.isSuccess() || !statusList.isSuccess()) {
            return; // e.g. a test removed the CalicoNodeStatus CRD: then only addresses
        }
        List<PeerFacts> peerFacts = new ArrayList<>();
        for (BgpPeer peer : peerList.getObject().getItems()) {
            if (peer.getSpec() != null && peer.getSpec().getNodeSelector() != null
                    && peer.getSpec().getPeerSelector() != null) {
                peerFacts.add(new PeerFacts(peer.getMetadata().getName(), peer.getSpec().getNodeSelector(),
                        peer.getSpec().getPeerSelector()));
            }
        }
        var configuration = bgpConfigurations.get(BgpConfiguration.DEFAULT_NAME);
        boolean mesh = !configuration.isSuccess() || configuration.getObject().meshEnabled();
        Bgp bgp = new Bgp(facts, peerFacts, mesh, Set.of());
        Map<String, NodeFacts> byName = new HashMap<>();
        facts.forEach(node -> byName.put(node.name(), node));
        for (CalicoNodeStatus status : statusList.getObject().getItems()) {
            CalicoNodeStatus.Spec spec = status.getSpec();
            NodeFacts local = spec == null ? null : byName.get(spec.getNode());
            if (local == null || !spec.getClasses().contains(CalicoNodeStatus.CLASS_BGP)
                    || spec.getUpdatePeriodSeconds() == null) {
                continue; // calico-node ignores a status without updatePeriodSeconds too
            }
            List<CalicoNodeStatus.Peer> reported = new ArrayList<>();
            for (String peerName : new TreeSet<>(bgp.sessionsOf(local.name()))) {
                NodeFacts peer = byName.get(peerName);
                boolean meshSession = mesh && local.annotations().get(Names.CLUSTER_ID_ANNOTATION) == null
                        && peer.annotations().get(Names.CLUSTER_ID_ANNOTATION) == null;
                String sessionState = state.apply(local, peer);
                String key = local.name() + "|" + peerName + "|" + sessionState;
                String birdSince = since.computeIfAbsent(key, k -> LocalTime.now(ZoneOffset.UTC)
                        .truncatedTo(ChronoUnit.SECONDS).toString());
                reported.add(new CalicoNodeStatus.Peer(address(peer), meshSession ? "NodeMesh" : "NodePeer",
                        sessionState, birdSince));
            }
            CalicoNodeStatus.Status current = status.getStatus();
            if (current != null && current.getLastUpdated() != null && current.getBgp() != null
                    && current.getBgp().getPeersV4().equals(reported)) {
                continue; // calico-node writes only when something changed
            }
            CalicoNodeStatus.Status next = new CalicoNodeStatus.Status(
                    Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(), new CalicoNodeStatus.Bgp(reported, List.of()));
            String body = client.getJSON().serialize(Map.of("status", next));
            try {
                PatchUtils.patch(Object.class, () -> custom.patchClusterCustomObjectStatus("crd.projectcalico.org", "v1",
                        CalicoNodeStatus.PLURAL, status.getMetadata().getName(), new V1Patch(body)).buildCall(null),
                        V1Patch.PATCH_FORMAT_JSON_MERGE_PATCH, client);
                statusWrites.incrementAndGet();
            } catch (ApiException e) {
                log.debug("status of {} not written: {} {}", status.getMetadata().getName(), e.getCode(),
                        e.getResponseBody());
            }
        }
    }

    @Override
    public void close() {
        loop.shutdownNow();
        try {
            loop.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
