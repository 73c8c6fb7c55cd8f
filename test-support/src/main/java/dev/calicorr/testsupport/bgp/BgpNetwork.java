package dev.calicorr.testsupport.bgp;

import dev.calicorr.testsupport.ControlPlane;
import dev.calicorr.testsupport.ControlPlaneException;
import dev.calicorr.testsupport.SimulatedNodes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Real BGP for a test: simulated nodes that each run Calico's confd (against the test apiserver in
 * KDD mode, or another {@link BgpDatastore}), Debian's BIRD and bird6 in a network namespace of their
 * own, and calico-node's status reporter. Node addresses are 198.18.0.i/16 on one bridge, pod blocks
 * 198.19.i.0/26 (an IPPool and a block affinity per node, so each BIRD exports its block as
 * calico-node's does). Whatever routes BIRD learns came over the BGP sessions that confd configured
 * from the BGPPeers, node labels and cluster IDs and BGPConfiguration in the datastore.
 *
 * <p>{@link #close()} stops every process it started (by its handle) and deletes every namespace it
 * created, also after a failed test (the JUnit extension closes it).
 */
public final class BgpNetwork implements AutoCloseable {
    public static final String GROUP = "crd.projectcalico.org";
    public static final String POOL_CIDR = "198.19.0.0/16";
    private static final String POOL = "rr-bgp-pool";
    private static final Logger log = LoggerFactory.getLogger(BgpNetwork.class);
    private static final Duration CONFIG_TIMEOUT = Duration.ofSeconds(60);

    private final ControlPlane plane;
    private final CalicoParts parts;
    private final BgpDatastore datastore;
    /** confd's and the status reporter's environment */
    private final Map<String, String> calicoEnv;
    private final Path workDir;
    private final Path socketDir;
    private final Netns netns;
    private final SimulatedNodes simulated;
    private final Map<String, BgpNode> nodes = new LinkedHashMap<>();
    private final Thread shutdownHook = new Thread(this::stopAll, "bgp-network-stop");
    private int nextIndex = 1;

    private BgpNetwork(ControlPlane plane, CalicoParts parts, BgpDatastore datastore, Path workDir, Path socketDir,
            String prefix) {
        this.plane = plane;
        this.parts = parts;
        this.datastore = datastore;
        Map<String, String> env = new HashMap<>(datastore.environment());
        env.put("BGP_LOGSEVERITYSCREEN", "info");
        this.calicoEnv = Map.copyOf(env);
        this.workDir = workDir;
        this.socketDir = socketDir;
        this.netns = new Netns(prefix);
        this.simulated = new SimulatedNodes(plane.adminClient());
    }

    /** Where a test's network keeps its files: {@code target/bgp/<yyyyMMdd-HHmmss>-<test>}. */
    public static Path workDirFor(String test) {
        return Path.of("target", "bgp", LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))
                + "-" + test);
    }

    /** Real BGP on the test apiserver's Kubernetes datastore (KDD). */
    public static BgpNetwork start(ControlPlane plane, CalicoParts parts, Path workDir) {
        return start(plane, parts, workDir, new KubernetesBgpDatastore(plane, parts));
    }

    /**
     * Installs what the datastore needs ({@link #close()} puts it back), the IPPool, and the switch
     * namespace. Work files go under {@code workDir}; BIRD's sockets under a short temporary directory
     * (a socket path has at most 107 bytes).
     */
    public static BgpNetwork start(ControlPlane plane, CalicoParts parts, Path workDir, BgpDatastore datastore) {
        try {
            Files.createDirectories(workDir);
            Path sockets = Files.createTempDirectory("rrbgp");
            String prefix = "rrbgp" + ProcessHandle.current().pid() + sockets.getFileName().toString().substring(5, 8);
            BgpNetwork network = new BgpNetwork(plane, parts, datastore, workDir.toAbsolutePath(), sockets,
                    prefix);
            Runtime.getRuntime().addShutdownHook(network.shutdownHook);
            try {
                datastore.install();
                datastore.createPool(POOL, POOL_CIDR);
                network.netns.createSwitch();
                return network;
            } catch (RuntimeException e) {
                network.close();
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Adds nodes: their Node objects, their BGP addresses as calico-node registers them, block
     * affinities, namespaces, confd; then, once confd has rendered each config,
     * BIRD, bird6 and the status reporter. Returns when every process runs (sessions come later).
     */
    public synchronized List<BgpNode> addNodes(List<SimulatedNodes.NodeBuilder> builders) {
        List<BgpNode> added = new ArrayList<>();
        for (SimulatedNodes.NodeBuilder builder : builders) {
            int index = nextIndex++;
            String name = builder.name();
            BgpNode node = new BgpNode(name, index, netns.nodeNs(index), workDir.resolve(name),
                    socketDir.resolve(String.valueOf(index)), parts, calicoEnv);
            nodes.put(name, node);
            added.add(node);
            netns.createNode(index, node.ip() + "/16");
            simulated.create(builder);
            datastore.registerNode(name, node.ip() + "/16");
            datastore.createAffinity(name, node.block());
            node.writeConfdConfig();
            node.startConfd();
        }
        Instant deadline = Instant.now().plus(CONFIG_TIMEOUT);
        List<BgpNode> waiting = new ArrayList<>(added);
        while (!waiting.isEmpty()) {
            waiting.removeIf(node -> {
                if (!node.configRendered()) {
                    return false;
                }
                node.startBird();
                node.startReporter();
                return true;
            });
            if (!waiting.isEmpty()) {
                if (Instant.now().isAfter(deadline)) {
                    throw new ControlPlaneException("confd rendered no BIRD config within " + CONFIG_TIMEOUT + " for "
                            + waiting + "; see " + waiting.get(0).dir().resolve("confd.log"));
                }
                sleep(100);
            }
        }
        log.info("real BGP: {} nodes up ({} in all), work dir {}", added.size(), nodes.size(), workDir);
        return added;
    }

    /** Takes node {@code name}'s pod block away (its affinity deleted): its BIRD stops exporting it. */
    public void withdrawBlock(String name) {
        datastore.deleteAffinity(name, node(name).block());
    }

    /** Gives node {@code name} its pod block back. */
    public void restoreBlock(String name) {
        datastore.createAffinity(name, node(name).block());
    }

    /**
     * Removes a node as a deleted machine goes: its processes and namespace, its Node object, its
     * block affinity and Calico's data of it.
     */
    public synchronized void removeNode(String name) {
        BgpNode node = node(name);
        node.stop();
        netns.deleteNode(node.index());
        simulated.delete(name);
        datastore.deleteAffinity(name, node.block());
        datastore.deregisterNode(name);
        nodes.remove(name);
    }

    public synchronized BgpNode node(String name) {
        return Objects.requireNonNull(nodes.get(name), () -> "no BGP node " + name);
    }

    public synchronized Collection<BgpNode> nodes() {
        return List.copyOf(nodes.values());
    }

    /** The nodes whose BIRD runs: the ones that must have every other live node's block. */
    public synchronized List<BgpNode> liveNodes() {
        return nodes.values().stream().filter(BgpNode::birdRunning).toList();
    }

    public ControlPlane controlPlane() {
        return plane;
    }

    public SimulatedNodes simulatedNodes() {
        return simulated;
    }

    public Path workDir() {
        return workDir;
    }

    /**
     * For each live node, the blocks of other live nodes missing from its BIRD table now (empty: every
     * route is there). A node whose BIRD does not answer counts as missing everything.
     */
    public Map<String, Set<String>> missingRoutes() {
        List<BgpNode> live = liveNodes();
        Map<String, Set<String>> missing = new LinkedHashMap<>();
        for (BgpNode node : live) {
            Set<String> lacks = new TreeSet<>();
            Set<String> have;
            try {
                have = node.state().prefixes();
            } catch (IOException e) {
                have = Set.of();
            }
            for (BgpNode other : live) {
                if (other != node && !have.contains(other.block())) {
                    lacks.add(other.name());
                }
            }
            if (!lacks.isEmpty()) {
                missing.put(node.name(), lacks);
            }
        }
        return missing;
    }

    /** Waits until every live node has a route to every other live node's block; fails with who lacks what. */
    public void awaitFullRoutes(Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        Map<String, Set<String>> missing = missingRoutes();
        while (!missing.isEmpty()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("after " + timeout + " nodes still lack routes (node -> nodes whose block it lacks): "
                        + missing);
            }
            sleep(250);
            missing = missingRoutes();
        }
    }

    /**
     * Waits until BGP has settled: every live node's Established sessions and routes unchanged for
     * {@code quiet} (sessions settle in seconds after a change; the first convergence is not the end).
     */
    public void awaitStable(Duration quiet, Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        Map<String, Object> last = fingerprint();
        Instant since = Instant.now();
        while (Duration.between(since, Instant.now()).compareTo(quiet) < 0) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("BGP did not settle for " + quiet + " within " + timeout);
            }
            sleep(250);
            Map<String, Object> now = fingerprint();
            if (!now.equals(last)) {
                last = now;
                since = Instant.now();
            }
        }
    }

    private Map<String, Object> fingerprint() {
        Map<String, Object> print = new HashMap<>();
        for (BgpNode node : liveNodes()) {
            try {
                BirdState state = node.state();
                print.put(node.name(), List.of(new TreeSet<>(state.established().stream().map(BirdState.Session::peerIp)
                        .toList()), new TreeSet<>(state.prefixes())));
            } catch (IOException e) {
                print.put(node.name(), "no answer");
            }
        }
        return print;
    }

    /** Samples every live node's routes every {@code period} until closed (see {@link RouteSampler}). */
    public RouteSampler sampleRoutes(Duration period) {
        return RouteSampler.start(this, period);
    }

    /** Processes and namespaces only: the API objects go with the control plane's reset. */
    private synchronized void stopAll() {
        nodes.values().parallelStream().forEach(BgpNode::stop);
        netns.deleteAll();
    }

    @Override
    public void close() {
        stopAll();
        datastore.deletePool(POOL);
        for (BgpNode node : nodes.values()) {
            datastore.deleteAffinity(node.name(), node.block());
        }
        nodes.clear();
        datastore.uninstall();
        try (Stream<Path> files = Files.walk(socketDir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            log.warn("cannot remove {}: {}", socketDir, e.getMessage());
        }
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // the JVM is exiting: the hook runs stopAll itself
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ControlPlaneException("interrupted", e);
        }
    }
}
