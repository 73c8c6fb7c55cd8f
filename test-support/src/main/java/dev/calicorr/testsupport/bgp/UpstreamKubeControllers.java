package dev.calicorr.testsupport.bgp;

import dev.calicorr.testsupport.ControlPlane;
import dev.calicorr.testsupport.ControlPlaneException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calico's own calico-kube-controllers (built by {@code hack/calico/build.sh} from the pinned calico
 * module) as a process against the test apiserver, as a KDD install runs it:
 * {@code DATASTORE_TYPE=kubernetes}, {@code ENABLED_CONTROLLERS=node} (calico.yaml's setting; the
 * other controllers are for etcd datastores or need pods). It runs on that Calico version's CRDs,
 * KubeControllersConfiguration's included, with our section patched in as docs/install.md says for a
 * cluster with Calico ({@code deploy/crds/routereflector-section.yaml}).
 *
 * <p>Like the pod's restart policy, a process that exits is started again (after a second): upstream
 * exits on purpose whenever its merged configuration changes ("configuration changed; restarting").
 *
 * <p>Loopback only: its status file is under the work dir, health has no port, and its metrics
 * server would listen on every interface at {@code prometheusMetricsPort}, which libcalico-go fills
 * with 9094 when the object has none. Tests set 0; in case one does not, this holds 127.0.0.1:9094
 * while it runs, so upstream's listener fails (it then exits and is restarted) instead of listening
 * on the machine's interfaces.
 *
 * <p>{@link #prepareForEtcd} runs it as a {@code DATASTORE_TYPE=etcdv3} install does instead, on
 * Calico's etcd (the Kubernetes API for Nodes and Pods only, no CRDs).
 *
 * <p>{@link #close()} stops the process by its handle and puts our CRDs back; a shutdown hook stops
 * it if the JVM ends first.
 */
public final class UpstreamKubeControllers implements AutoCloseable {
    /** What libcalico-go writes into {@code prometheusMetricsPort} when it is unset. */
    public static final int DEFAULT_METRICS_PORT = 9094;
    private static final String KCC_CRD = "kubecontrollersconfigurations.crd.projectcalico.org";
    private static final Duration RESTART_DELAY = Duration.ofSeconds(1);
    private static final Logger log = LoggerFactory.getLogger(UpstreamKubeControllers.class);

    private final ControlPlane plane;
    private final CalicoParts parts;
    private final Path workDir;
    private final ServerSocket metricsGuard;
    /** DATASTORE_TYPE and what goes with it. */
    private final Map<String, String> datastore;
    private final AtomicInteger starts = new AtomicInteger();
    private final Thread shutdownHook = new Thread(this::stopProcess, "upstream-kube-controllers-stop");
    private Process process;
    private boolean closed;

    private UpstreamKubeControllers(ControlPlane plane, CalicoParts parts, Path workDir, Map<String, String> datastore) {
        this.plane = plane;
        this.parts = parts;
        this.workDir = workDir.toAbsolutePath();
        this.datastore = Map.copyOf(datastore);
        this.metricsGuard = guard(DEFAULT_METRICS_PORT);
        try {
            Files.createDirectories(workDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    private boolean kdd() {
        return "kubernetes".equals(datastore.get("DATASTORE_TYPE"));
    }

    /**
     * Installs Calico's CRDs with our section patched in; {@link #start()} then starts the process
     * (a test may create objects first, as in a cluster where upstream restarts).
     */
    public static UpstreamKubeControllers prepare(ControlPlane plane, CalicoParts parts, Path workDir) {
        UpstreamKubeControllers upstream = new UpstreamKubeControllers(plane, parts, workDir,
                Map.of("DATASTORE_TYPE", "kubernetes"));
        try {
            parts.installCrds(plane, true);
            CalicoParts.kubectl(plane, "patch", "crd", KCC_CRD, "--type", "json", "--patch-file",
                    plane.repo().resolve("deploy/crds/routereflector-section.yaml").toString());
            return upstream;
        } catch (RuntimeException e) {
            upstream.close();
            throw e;
        }
    }

    /**
     * As an etcdv3 install runs it: {@code etcd} holds {@code DATASTORE_TYPE=etcdv3} and the
     * {@code ETCD_*} variables of Calico's etcd; nothing is installed in the Kubernetes API.
     */
    public static UpstreamKubeControllers prepareForEtcd(ControlPlane plane, CalicoParts parts, Path workDir,
            Map<String, String> etcd) {
        return new UpstreamKubeControllers(plane, parts, workDir, etcd);
    }

    /** Starts calico-kube-controllers (and again whenever it exits, until {@link #close()}). */
    public synchronized UpstreamKubeControllers start() {
        if (process != null) {
            throw new IllegalStateException("calico-kube-controllers already started");
        }
        launch();
        return this;
    }

    /** A listener on 127.0.0.1:port, or null when something already holds the port (upstream's bind fails too). */
    private static ServerSocket guard(int port) {
        try {
            return new ServerSocket(port, 1, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            return null;
        }
    }

    private synchronized void launch() {
        if (closed) {
            return;
        }
        List<String> command = List.of(parts.bin("kube-controllers").toString(),
                "-status-file", workDir.resolve("status.json").toString());
        ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile()));
        builder.environment().clear(); // nothing of the test JVM's environment (LOG_LEVEL, KUBECONFIG...) leaks in
        builder.environment().putAll(datastore);
        builder.environment().putAll(Map.of(
                "KUBECONFIG", plane.adminKubeconfig().toString(),
                "ENABLED_CONTROLLERS", "node"));
        Process started;
        try {
            started = builder.start();
        } catch (IOException e) {
            throw new ControlPlaneException("cannot start calico-kube-controllers: " + e.getMessage(), e);
        }
        process = started;
        log.info("calico-kube-controllers started (pid {}, start {}), log {}", started.pid(), starts.incrementAndGet(),
                log());
        started.onExit().thenRun(() -> {
            synchronized (this) {
                if (closed) {
                    return;
                }
            }
            log.info("calico-kube-controllers exited with {}; starting it again in {} as its pod would",
                    started.exitValue(), RESTART_DELAY);
            sleep(RESTART_DELAY);
            launch();
        });
    }

    /** How many times the process was started: 1 plus its restarts. */
    public int starts() {
        return starts.get();
    }

    /** Its stdout and stderr, over every start. */
    public Path log() {
        return workDir.resolve("kube-controllers.log");
    }

    public Path workDir() {
        return workDir;
    }

    private synchronized void stopProcess() {
        closed = true;
        if (process == null || !process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    /** Stops the process (by its handle), releases the port guard and puts our CRDs back. */
    @Override
    public void close() {
        stopProcess();
        if (metricsGuard != null) {
            try {
                metricsGuard.close();
            } catch (IOException e) {
                log.warn("closing the guard of port {}: {}", DEFAULT_METRICS_PORT, e.getMessage());
            }
        }
        if (kdd()) {
            plane.installCrds();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // the JVM is exiting: the hook stops the process itself
        }
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
