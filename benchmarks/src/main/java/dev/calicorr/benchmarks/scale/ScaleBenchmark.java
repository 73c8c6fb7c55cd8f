package dev.calicorr.benchmarks.scale;

import dev.calicorr.core.kube.ConfigurationStore;
import dev.calicorr.core.kube.KubeControllersConfiguration;
import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.config.RouteReflectorConfigParser;
import dev.calicorr.routereflector.kube.LiveCluster;
import dev.calicorr.routereflector.model.ClusterSnapshot;
import dev.calicorr.routereflector.model.NodeFacts;
import dev.calicorr.routereflector.plan.Planner;
import dev.calicorr.testsupport.AuditedWrite;
import dev.calicorr.testsupport.ControlPlane;
import dev.calicorr.testsupport.SimulatedNodes;
import io.kubernetes.client.custom.V1Patch;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The controller at scale against the real control plane (docs/benchmarks.md): creates N nodes,
 * starts the runnable jar as its own process under the controller's RBAC identity, and measures
 * time to first convergence and, for single events, time to converge and writes. Writes are
 * counted from the apiserver's audit log, not from our own counters. Heap (after a full GC) and
 * CPU time are read from the controller process. The nodes are the size of a real cluster's
 * ({@link RealisticNodes}, about 15 KB each), and the controller runs under the Deployment's
 * memory limit and the image's JVM flags ({@code -XX:MaxRAM} = the container limit of
 * deploy/deployment.yaml): an OutOfMemoryError ends the run, as it would restart the pod.
 *
 * <p>Usage: {@code ./bench.sh scale [--etcd] [nodes...]} (default 5000), e.g. {@code ./bench.sh scale 5000 20000}.
 * With {@code --etcd} Calico keeps its data in etcd ({@link EtcdMode}): first convergence and the node
 * events, the writes to Calico Nodes and BGPPeers counted from etcd's watch, those to Kubernetes
 * objects from the audit log; converged is then quiet for {@link #QUIET} alone (the planner's check
 * reads the Kubernetes datastore).
 */
public final class ScaleBenchmark {
    private static final List<String> ZONES = List.of("zone-a", "zone-b", "zone-c");
    /** Quiet time after the last write that counts as converged; longer than removalDelay and sessionSettleDelay. */
    private static final Duration QUIET = Duration.ofSeconds(5);
    private static final Duration TIMEOUT = Duration.ofMinutes(15);
    private static final Set<String> TOPOLOGY_RESOURCES = Set.of("nodes", "bgppeers");

    private final ControlPlane cp;
    private final SimulatedNodes nodes;
    private final int count;
    private final Map<String, Object> section = new LinkedHashMap<>(
            Map.of("min", 3, "max", 100, "ratio", 0.00473, "removalDelay", "2s", "sessionSettleDelay", "2s"));
    private final List<String> report = new ArrayList<>();
    private Process controller;
    private int healthPort;
    /** Calico's datastore when it is etcd, else null */
    private final EtcdMode etcd;

    private ScaleBenchmark(ControlPlane cp, int count, EtcdMode etcd) {
        this.cp = cp;
        this.nodes = new SimulatedNodes(cp.adminClient());
        this.count = count;
        this.etcd = etcd;
    }

    public static void main(String[] args) throws Exception {
        boolean onEtcd = args.length > 0 && args[0].equals("--etcd");
        List<String> rest = java.util.Arrays.asList(args).subList(onEtcd ? 1 : 0, args.length);
        List<Integer> sizes = rest.isEmpty() ? List.of(5000) : rest.stream().map(Integer::valueOf).toList();
        Path jar = Paths.get("deploy/target/kube-controllers.jar").toAbsolutePath();
        if (!Files.exists(jar)) {
            throw new IllegalStateException("missing " + jar + ": build with mvn package first (bench.sh does)");
        }
        List<String> all = new ArrayList<>();
        for (int size : sizes) {
            try (ControlPlane cp = ControlPlane.start(Paths.get("benchmarks", "target", "scale"));
                    EtcdMode etcd = onEtcd ? EtcdMode.start(cp) : null) {
                ScaleBenchmark benchmark = new ScaleBenchmark(cp, size, etcd);
                try {
                    if (etcd == null) {
                        benchmark.run(jar);
                    } else {
                        benchmark.runOnEtcd(jar);
                    }
                } finally {
                    benchmark.stopController();
                }
                all.addAll(benchmark.report);
            }
        }
        System.out.println();
        System.out.println("| nodes | measurement | value |");
        System.out.println("| --- | --- | --- |");
        all.forEach(System.out::println);
    }

    private void run(Path jar) throws Exception {
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("prometheusMetricsPort", 0);
        spec.put("controllers", Map.of("routereflector", section));
        ConfigurationStore.api(cp.adminClient())
                .create(new KubeControllersConfiguration(new V1ObjectMeta().name("default"), spec)).throwsApiException();

        Instant creating = Instant.now();
        RealisticNodes realistic = new RealisticNodes(cp.adminClient());
        realistic.createMany("node", count, ZONES);
        record("creating the Node objects (8 threads, not the controller)", Duration.between(creating, Instant.now()));
        record("one Node object as served (JSON, managedFields included)", realistic.jsonBytes("node-000") / 1024 + " KiB");

        Converged first = startAndConverge(jar, "nodes + BGPPeers, audit log");
        record("all writes in that time (incl. Lease renewals, Events, config annotation)", first.allWrites());
        ClusterSnapshot snapshot = LiveCluster.read(cp.adminClient());
        record("route reflectors", reflectors(snapshot).size());
        record("BGPPeers owned", snapshot.ownedPeers().size());
        recordProcess("after first convergence");

        event("one node added", () -> nodes.create(SimulatedNodes.node("node-added").zone(ZONES.get(0))));
        String client = snapshot.nodes().stream().filter(n -> !isReflector(n)).map(NodeFacts::name)
                .findFirst().orElseThrow();
        event("one client node removed", () -> nodes.delete(client));
        String reflector = reflectors(LiveCluster.read(cp.adminClient())).get(0);
        event("one route reflector cordoned", () -> nodes.cordon(reflector, true));
        event("ratio edited 0.00473 -> 0.004", () -> {
            section.put("ratio", 0.004);
            ConfigurationStore.api(cp.adminClient()).patch("default", V1Patch.PATCH_FORMAT_JSON_MERGE_PATCH,
                    new V1Patch("{\"spec\":{\"controllers\":{\"routereflector\":{\"ratio\":0.004}}}}"))
                    .throwsApiException();
        });
        String lost = ZONES.get(2);
        List<String> inZone = LiveCluster.read(cp.adminClient()).nodes().stream()
                .filter(n -> lost.equals(n.labels().get(SimulatedNodes.ZONE_LABEL))).map(NodeFacts::name).toList();
        event("one zone lost (" + inZone.size() + " nodes NotReady)", () -> parallel(inZone, n -> nodes.setReady(n, false)));
        recordProcess("after the events");
    }

    /** Starts the controller and records its first sync and first convergence; {@code counted}: which writes. */
    private Converged startAndConverge(Path jar, String counted) throws Exception {
        Mark mark = mark();
        Instant started = Instant.now();
        startController(jar);
        record("time to first sync (process start to /readyz 200: informer caches synced)", awaitReady(started));
        Converged first = awaitConvergence(mark, started);
        record("first convergence (process start to last write)", first.time());
        record("writes to converge from nothing (" + counted + ")", first.topologyWrites());
        return first;
    }

    /** First convergence and the node events with Calico on etcd. */
    private void runOnEtcd(Path jar) throws Exception {
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("prometheusMetricsPort", 0);
        spec.put("controllers", Map.of("routereflector", section));
        etcd.putConfiguration(spec);
        Instant creating = Instant.now();
        new RealisticNodes(cp.adminClient()).createMany("node", count, ZONES);
        List<String> names = LiveCluster.read(cp.adminClient()).nodes().stream().map(NodeFacts::name).sorted().toList();
        for (int i = 0; i < names.size(); i++) {
            etcd.putNode(names.get(i), i);
        }
        record("creating the Node objects and their Calico Nodes in etcd (not the controller)",
                Duration.between(creating, Instant.now()));

        startAndConverge(jar, "Calico Nodes + BGPPeers in etcd, Kubernetes Nodes");
        record("route reflectors", etcd.nodes(true).size());
        recordProcess("after first convergence");

        event("one node added", () -> {
            nodes.create(SimulatedNodes.node("node-added").zone(ZONES.get(0)));
            etcd.putNode("node-added", count);
        });
        String client = etcd.nodes(false).get(0);
        event("one client node removed", () -> {
            nodes.delete(client);
            etcd.deleteNode(client);
        });
        String reflector = etcd.nodes(true).get(0);
        event("one route reflector cordoned", () -> nodes.cordon(reflector, true));
        recordProcess("after the events");
    }

    private void event(String name, ThrowingRunnable action) throws Exception {
        Mark mark = mark();
        Instant started = Instant.now();
        action.run();
        Converged converged = awaitConvergence(mark, started);
        record(name + ": time to converge", converged.time());
        record(name + ": writes (nodes + BGPPeers, " + (etcd == null ? "audit log" : "etcd's watch and the audit log")
                + ")", converged.topologyWrites());
        System.out.printf("%-60s %6d writes in %s%n", name, converged.topologyWrites(), converged.time());
    }

    private record Converged(Duration time, long topologyWrites, long allWrites) {
    }

    /**
     * Waits until the controller has written nothing to nodes or BGPPeers for {@link #QUIET} and
     * the planner, run over a fresh LIST, has nothing left to do.
     */
    /** Where the writes counted so far end: the audit log's, and etcd's in etcd mode. */
    private record Mark(int audit, int etcd) {
    }

    private Mark mark() {
        return new Mark(cp.controllerWrites().size(), etcd == null ? 0 : etcd.writes());
    }

    private Converged awaitConvergence(Mark mark, Instant since) throws Exception {
        RouteReflectorConfig config = RouteReflectorConfigParser.parse(section, Map.of()).config();
        Instant deadline = Instant.now().plus(TIMEOUT);
        while (Instant.now().isBefore(deadline)) {
            Thread.sleep(500);
            List<AuditedWrite> writes = cp.controllerWrites();
            List<Instant> topology = new ArrayList<>(writes.subList(mark.audit(), writes.size()).stream()
                    .filter(w -> TOPOLOGY_RESOURCES.contains(w.resource())).map(AuditedWrite::at).toList());
            if (etcd != null) {
                topology.addAll(etcd.controllerWritesSince(mark.etcd()));
            }
            Instant last = topology.stream().max(Instant::compareTo).orElse(since);
            if (Instant.now().isBefore(last.plus(QUIET))) {
                continue;
            }
            if (etcd != null && topology.isEmpty() && etcd.nodes(true).isEmpty()) {
                continue; // nothing written yet, not even the first RR: quiet is no convergence here
            }
            if (etcd == null && !Planner.plan(LiveCluster.read(cp.adminClient()), config, Instant.now()).steps().isEmpty()) {
                continue;
            }
            Duration time = last.isAfter(since) ? Duration.between(since, last) : Duration.ZERO;
            return new Converged(time, topology.size(), writes.size() - mark.audit());
        }
        throw new IllegalStateException("no convergence within " + TIMEOUT + "; controller log: "
                + cp.workDir().resolve("controller.log"));
    }

    private void startController(Path jar) throws IOException {
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            healthPort = free.getLocalPort();
        }
        List<String> command = new ArrayList<>(List.of(java, "-XX:MaxRAM=" + containerMemoryLimit()));
        command.addAll(imageJvmFlags());
        command.addAll(List.of("-jar", jar.toString(),
                "--kubeconfig", cp.controllerKubeconfig().toString(), "--health-port", String.valueOf(healthPort),
                "--health-address", "127.0.0.1", "--identity", "scale-benchmark"));
        record("controller JVM flags", String.join(" ", command.subList(1, command.indexOf("-jar"))));
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(cp.workDir().resolve("controller.log").toFile());
        builder.environment().put("ENABLED_CONTROLLERS", "routereflector");
        builder.environment().put("POD_NAMESPACE", "kube-system");
        if (etcd != null) {
            builder.environment().putAll(etcd.environment());
        }
        controller = builder.start();
    }

    /** The container's memory limit in deploy/deployment.yaml, as a JVM size (e.g. {@code 512m}). */
    private static String containerMemoryLimit() throws IOException {
        String deployment = Files.readString(Paths.get("deploy/deployment.yaml"));
        Matcher limit = Pattern.compile("limits:\\s*(?:#[^\\n]*\\s*)*memory:\\s*(\\d+)Mi").matcher(deployment);
        if (!limit.find()) {
            throw new IllegalStateException("no memory limit in deploy/deployment.yaml");
        }
        return limit.group(1) + "m";
    }

    /** The JVM flags the image runs with (deploy/pom.xml), those that apply outside a container too. */
    private static List<String> imageJvmFlags() throws IOException {
        Matcher flags = Pattern.compile("<jvmFlag>([^<]+)</jvmFlag>").matcher(Files.readString(Paths.get("deploy/pom.xml")));
        List<String> out = new ArrayList<>();
        while (flags.find()) {
            if (!flags.group(1).startsWith("-Djava.io.tmpdir")) {
                out.add(flags.group(1));
            }
        }
        return out;
    }

    /** Waits until the controller's /readyz answers 200; fails if the process dies first (an OOM exits it). */
    private Duration awaitReady(Instant since) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        URI readyz = URI.create("http://127.0.0.1:" + healthPort + "/readyz");
        Instant deadline = Instant.now().plus(TIMEOUT);
        while (Instant.now().isBefore(deadline)) {
            if (!controller.isAlive()) {
                throw new IllegalStateException("the controller exited (" + controller.exitValue() + ") before its "
                        + "caches synced; log: " + cp.workDir().resolve("controller.log"));
            }
            try {
                int code = http.send(HttpRequest.newBuilder(readyz).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode();
                if (code == 200) {
                    return Duration.between(since, Instant.now());
                }
            } catch (IOException notListeningYet) {
                // the health server starts with the host
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("caches not synced within " + TIMEOUT);
    }

    private void stopController() throws InterruptedException {
        if (controller != null) {
            controller.destroy();
            controller.waitFor();
        }
    }

    /** Heap used after a full GC (jcmd) and CPU time of the controller process so far (/proc). */
    private void recordProcess(String when) throws Exception {
        String jcmd = Paths.get(System.getProperty("java.home"), "bin", "jcmd").toString();
        String pid = String.valueOf(controller.pid());
        exec(jcmd, pid, "GC.run");
        String heap = exec(jcmd, pid, "GC.heap_info");
        Matcher used = Pattern.compile("used (\\d+)K").matcher(heap);
        if (used.find()) {
            record("controller heap used after full GC, " + when, Long.parseLong(used.group(1)) / 1024 + " MiB");
        }
        String[] stat = Files.readString(Paths.get("/proc", pid, "stat")).split("\\) ")[1].split(" ");
        long ticks = Long.parseLong(stat[11]) + Long.parseLong(stat[12]); // utime + stime, fields 14 and 15
        record("controller CPU time " + when, String.format("%.1f s", ticks / 100.0));
        record("controller resident memory " + when, Long.parseLong(stat[21]) * 4 / 1024 + " MiB");
        Matcher peak = Pattern.compile("VmHWM:\\s+(\\d+) kB").matcher(Files.readString(Paths.get("/proc", pid, "status")));
        if (peak.find()) {
            record("controller peak resident memory " + when, Long.parseLong(peak.group(1)) / 1024 + " MiB");
        }
        if (!controller.isAlive()) {
            throw new IllegalStateException("the controller exited (" + controller.exitValue() + "); log: "
                    + cp.workDir().resolve("controller.log"));
        }
    }

    private static String exec(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes());
        process.waitFor();
        return out;
    }

    private static List<String> reflectors(ClusterSnapshot snapshot) {
        return snapshot.nodes().stream().filter(ScaleBenchmark::isReflector).map(NodeFacts::name).sorted().toList();
    }

    private static boolean isReflector(NodeFacts node) {
        return node.labels().containsKey(RouteReflectorConfig.DEFAULT_RR_LABEL_KEY);
    }

    private static void parallel(List<String> names, java.util.function.Consumer<String> action) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> futures = new ArrayList<>();
            names.forEach(name -> futures.add(pool.submit(() -> action.accept(name))));
            for (Future<?> future : futures) {
                future.get();
            }
        } finally {
            pool.shutdown();
        }
    }

    private void record(String what, Object value) {
        String text = value instanceof Duration d ? String.format("%.2f s", d.toMillis() / 1000.0) : value.toString();
        report.add("| " + count + " | " + what + " | " + text + " |");
        System.out.printf("[%d nodes] %s: %s%n", count, what, text);
    }

    @FunctionalInterface
    private interface ThrowingRunnable {
        void run() throws Exception;
    }
}
