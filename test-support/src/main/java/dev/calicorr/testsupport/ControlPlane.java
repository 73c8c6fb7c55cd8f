package dev.calicorr.testsupport;

import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.apis.CoordinationV1Api;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.apis.CustomObjectsApi;
import io.kubernetes.client.util.Config;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Kubernetes control plane on loopback: {@code etcd} and {@code kube-apiserver} built from
 * the Kubernetes Go modules by {@code hack/control-plane/build.sh}, started on free ports, with
 * our CRDs, RBAC and node admission policy from {@code deploy/} applied. No kubelet: nodes are plain objects
 * ({@link SimulatedNodes}). Two identities: an admin and the controller's ServiceAccount, which
 * only has what {@code deploy/rbac.yaml} grants.
 *
 * <p>Or, {@link #attach attached}, a cluster that runs elsewhere, given by an admin kubeconfig
 * ({@code -Dit.kubeconfig=FILE}): the same CRDs, RBAC and identities (the controller's by a
 * TokenRequest for its ServiceAccount), but no processes of ours, so what needs them (the audit
 * log, stopping the apiserver) aborts the test that asks, and it is reported as skipped.
 */
public final class ControlPlane implements AutoCloseable {
    /** The user our static token file gives the controller; RBAC binds its ServiceAccount. */
    public static final String CONTROLLER_USER = "system:serviceaccount:kube-system:calico-rr-controller";
    private static final Logger log = LoggerFactory.getLogger(ControlPlane.class);
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(90);
    private static final String[] CALICO_PLURALS = {"bgppeers", "bgpconfigurations", "kubecontrollersconfigurations",
        "caliconodestatuses"};

    private final Path repoRoot;
    private final Path binDir;
    private final Path workDir;
    private final String adminToken = token();
    private String controllerToken = token();
    /** Attached: the cluster's admin kubeconfig and API server URL; null for our own processes. */
    private final Path attachedKubeconfig;
    private final String attachedServer;
    private final int etcdPort;
    private final int etcdPeerPort;
    private final int apiPort;
    private Process etcd;
    private Process apiServer;
    private ApiClient admin;
    private ApiClient controller;
    private final Thread shutdownHook = new Thread(this::stop, "control-plane-stop");
    private final List<Runnable> beforeStop = new java.util.concurrent.CopyOnWriteArrayList<>();

    private ControlPlane(Path repoRoot, Path binDir, Path workDir) {
        this(repoRoot, binDir, workDir, null, null);
    }

    private ControlPlane(Path repoRoot, Path binDir, Path workDir, Path attachedKubeconfig, String attachedServer) {
        this.repoRoot = repoRoot;
        this.binDir = binDir;
        this.workDir = workDir;
        this.attachedKubeconfig = attachedKubeconfig;
        this.attachedServer = attachedServer;
        this.etcdPort = freePort();
        this.etcdPeerPort = freePort();
        this.apiPort = freePort();
    }

    /** Builds (if needed) and starts a control plane, with its work files under {@code parent}. */
    public static ControlPlane start(Path parent) {
        Path root = repoRoot();
        Path bin = build(root);
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        Path work = parent.resolve(stamp + "-" + ProcessHandle.current().pid()).toAbsolutePath();
        return startWith(root, bin, work);
    }

    /**
     * Attaches to the cluster of an admin {@code kubeconfig} (its current context) instead of
     * starting one, e.g. a control plane started apart ({@link ControlPlaneMain}): applies our RBAC
     * and CRDs and gets the controller's ServiceAccount a token. Refuses a cluster with kubelets:
     * {@link #reset()} deletes every Node and every Calico object of the kinds we use.
     */
    public static ControlPlane attach(Path kubeconfig, Path parent) {
        Path root = repoRoot();
        Path bin = build(root);
        ApiClient admin;
        try {
            admin = Config.fromConfig(kubeconfig.toString());
        } catch (IOException e) {
            throw new ControlPlaneException("it.kubeconfig " + kubeconfig + ": " + e.getMessage(), e);
        }
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        Path work = parent.resolve(stamp + "-" + ProcessHandle.current().pid() + "-attached").toAbsolutePath();
        ControlPlane plane = new ControlPlane(root, bin, work, kubeconfig.toAbsolutePath(), admin.getBasePath());
        plane.admin = admin;
        plane.bootAttached();
        return plane;
    }

    private void bootAttached() {
        try {
            Files.createDirectories(workDir);
            List<String> kubelets = new CoreV1Api(admin).listNode().execute().getItems().stream()
                    .filter(node -> node.getStatus() != null && node.getStatus().getNodeInfo() != null
                            && !node.getStatus().getNodeInfo().getKubeletVersion().isEmpty())
                    .map(node -> node.getMetadata().getName()).toList();
            if (!kubelets.isEmpty()) {
                throw new ControlPlaneException("it.kubeconfig: " + url() + " has nodes with a kubelet " + kubelets
                        + "; the tests delete every Node and Calico object before each test: use a cluster of their own");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (io.kubernetes.client.openapi.ApiException e) {
            throw new ControlPlaneException("it.kubeconfig: cannot list nodes at " + url() + ": " + e.getCode() + " "
                    + e.getResponseBody(), e);
        }
        kubectlOrFail("apply", "-f", repoRoot.resolve("deploy/rbac.yaml").toString());
        installCrds();
        controllerToken = kubectlOrFail("create", "token", "calico-rr-controller", "-n", "kube-system",
                "--duration", "24h").stdout().strip();
        controller = client(controllerToken);
        try {
            Files.writeString(controllerKubeconfig(), kubeconfig("controller", controllerToken));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        log.info("attached to the cluster at {} (it.kubeconfig {}; work dir {})", url(), attachedKubeconfig, workDir);
    }

    /** Whether this is a cluster of {@link #attach}, not processes of ours. */
    public boolean attached() {
        return attachedKubeconfig != null;
    }

    /** Aborts the calling test (reported as skipped) where it needs our own processes. */
    private void requireOwnProcesses(String what) {
        if (attached()) {
            org.junit.jupiter.api.Assumptions.abort(what + " needs the control plane's own processes, not the "
                    + "cluster of it.kubeconfig");
        }
    }

    /** Starts from given binaries (tests of the failure paths use a bad one). */
    public static ControlPlane startWith(Path repoRoot, Path binDir, Path workDir) {
        ControlPlane plane = new ControlPlane(repoRoot, binDir, workDir);
        Runtime.getRuntime().addShutdownHook(plane.shutdownHook);
        try {
            plane.boot();
            return plane;
        } catch (RuntimeException e) {
            plane.stop();
            throw e;
        }
    }

    /** The repository root: {@code rr.repoRoot}, or the nearest folder up holding the build script. */
    public static Path repoRoot() {
        String configured = System.getProperty("rr.repoRoot");
        if (configured != null) {
            return Paths.get(configured).toAbsolutePath();
        }
        for (Path dir = Paths.get("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.exists(dir.resolve("hack/control-plane/build.sh"))) {
                return dir;
            }
        }
        throw new ControlPlaneException("cannot find hack/control-plane/build.sh above " + Paths.get("").toAbsolutePath()
                + "; set -Drr.repoRoot");
    }

    private static Path build(Path root) {
        ProcessResult result = Commands.run(List.of("bash", root.resolve("hack/control-plane/build.sh").toString()), root,
                Duration.ofMinutes(30));
        if (!result.ok()) {
            throw new ControlPlaneException("hack/control-plane/build.sh failed (exit " + result.exitCode() + "):\n"
                    + tail(result.stderr()));
        }
        String[] lines = result.stdout().trim().split("\n");
        return Paths.get(lines[lines.length - 1].trim());
    }

    private void boot() {
        Instant started = Instant.now();
        for (String binary : new String[] {"etcd", "kube-apiserver", "kubectl"}) {
            if (!Files.isExecutable(binDir.resolve(binary))) {
                throw new ControlPlaneException("missing binary " + binDir.resolve(binary)
                        + ": run hack/control-plane/build.sh");
            }
        }
        try {
            Files.createDirectories(workDir.resolve("etcd"));
            Files.createDirectories(workDir.resolve("certs"));
            writeCredentials();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        etcd = launch("etcd", List.of(binDir.resolve("etcd").toString(),
                "--name", "default",
                "--data-dir", workDir.resolve("etcd").toString(),
                "--listen-client-urls", "http://127.0.0.1:" + etcdPort,
                "--advertise-client-urls", "http://127.0.0.1:" + etcdPort,
                "--listen-peer-urls", "http://127.0.0.1:" + etcdPeerPort,
                "--initial-advertise-peer-urls", "http://127.0.0.1:" + etcdPeerPort,
                "--initial-cluster", "default=http://127.0.0.1:" + etcdPeerPort,
                "--unsafe-no-fsync",
                "--log-level", "warn"));
        startApiServer();
        kubectlOrFail("apply", "-f", repoRoot.resolve("deploy/rbac.yaml").toString());
        // the controller's node writes are held to its own keys, as deployed
        kubectlOrFail("apply", "-f", repoRoot.resolve("deploy/node-policy.yaml").toString());
        installCrds();
        log.info("control plane up at {} in {} ms (work dir {})", url(), Duration.between(started, Instant.now()).toMillis(),
                workDir);
    }

    /** Starts kube-apiserver (again) on the same port and waits until it is ready. */
    public void startApiServer() {
        requireOwnProcesses("starting kube-apiserver");
        apiServer = launch("kube-apiserver", List.of(binDir.resolve("kube-apiserver").toString(),
                "--etcd-servers", "http://127.0.0.1:" + etcdPort,
                "--bind-address", "127.0.0.1",
                "--advertise-address", "127.0.0.1",
                "--secure-port", String.valueOf(apiPort),
                "--cert-dir", workDir.resolve("certs").toString(),
                "--token-auth-file", workDir.resolve("tokens.csv").toString(),
                "--authorization-mode", "RBAC",
                "--service-account-issuer", "https://kubernetes.default.svc",
                "--service-account-key-file", workDir.resolve("sa.pub").toString(),
                "--service-account-signing-key-file", workDir.resolve("sa.key").toString(),
                "--service-cluster-ip-range", "10.96.0.0/16",
                // no kubelets and no node lifecycle controller here: nodes would keep the not-ready taint
                // this plugin puts on every new node; SimulatedNodes sets readiness itself
                "--disable-admission-plugins", "ServiceAccount,TaintNodesByCondition",
                "--profiling=false",
                // every write of the controller's identity, one line each: counted from the server's side
                "--audit-policy-file", workDir.resolve("audit-policy.yaml").toString(),
                "--audit-log-path", auditLog().toString(),
                "--audit-log-format", "json",
                "--audit-log-mode", "blocking",
                "--v", "1"));
        awaitReady();
        admin = client(adminToken);
        controller = client(controllerToken);
    }

    /** Stops kube-apiserver only (etcd keeps the data), for outage tests. */
    public void stopApiServer() {
        requireOwnProcesses("stopping kube-apiserver");
        Commands.terminate(apiServer, Duration.ofSeconds(10));
    }

    public void restartApiServer() {
        stopApiServer();
        startApiServer();
    }

    /**
     * (Re)applies the CRDs of {@code deploy/crds/} (a kustomization) and waits until they are established.
     * Server-side, so it also puts ours back over another version's (the real-BGP harness runs Calico's
     * own for its tests).
     */
    public void installCrds() {
        kubectlOrFail("apply", "--server-side", "--force-conflicts", "-k", repoRoot.resolve("deploy/crds").toString());
        kubectlOrFail("wait", "--for", "condition=established", "--timeout", "60s", "crd", "--all");
        awaitServed(java.util.Arrays.stream(CALICO_PLURALS).map(p -> p + ".crd.projectcalico.org").toList());
    }

    /**
     * Waits until the apiserver serves these resources again after their CRDs changed: it answers
     * 429 "storage is (re)initializing" for a moment after an established CRD's schema changes, and
     * only kubectl (client-go) retries that by itself.
     */
    public void awaitServed(List<String> resources) {
        String kinds = String.join(",", resources);
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        ProcessResult result = kubectl("get", kinds);
        while (!result.ok()) {
            if (Instant.now().isAfter(deadline)) {
                throw new ControlPlaneException("kubectl get " + kinds + " still fails after 60 s: " + result.stderr());
            }
            sleep(500);
            result = kubectl("get", kinds);
        }
    }

    private void writeCredentials() throws IOException {
        Files.writeString(workDir.resolve("audit-policy.yaml"), """
                apiVersion: audit.k8s.io/v1
                kind: Policy
                omitStages: [RequestReceived]
                rules:
                  - level: Metadata
                    users: ["%s"]
                    verbs: [create, update, patch, delete, deletecollection]
                  - level: None
                """.formatted(CONTROLLER_USER));
        Files.writeString(workDir.resolve("tokens.csv"),
                adminToken + ",admin,admin-uid,\"system:masters\"\n"
                        + controllerToken + "," + CONTROLLER_USER + ",controller-uid,"
                        + "\"system:serviceaccounts,system:serviceaccounts:kube-system,system:authenticated\"\n");
        KeyPairGenerator generator;
        try {
            generator = KeyPairGenerator.getInstance("RSA");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        generator.initialize(2048);
        KeyPair pair = generator.generateKeyPair();
        Files.writeString(workDir.resolve("sa.key"), pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
        Files.writeString(workDir.resolve("sa.pub"), pem("PUBLIC KEY", pair.getPublic().getEncoded()));
        Files.writeString(adminKubeconfig(), kubeconfig("admin", adminToken));
        Files.writeString(controllerKubeconfig(), kubeconfig("controller", controllerToken));
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END " + type + "-----\n";
    }

    private String kubeconfig(String user, String token) {
        return "apiVersion: v1\nkind: Config\nclusters:\n- name: local\n  cluster:\n    server: " + url()
                + "\n    insecure-skip-tls-verify: true\nusers:\n- name: " + user + "\n  user:\n    token: " + token
                + "\ncontexts:\n- name: " + user + "\n  context:\n    cluster: local\n    user: " + user
                + "\ncurrent-context: " + user + "\n";
    }

    private Process launch(String name, List<String> command) {
        Path logFile = workDir.resolve(name + ".log");
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile())).start();
            return process;
        } catch (IOException e) {
            throw new ControlPlaneException("cannot start " + name + ": " + e.getMessage(), e);
        }
    }

    private void awaitReady() {
        HttpClient http = HttpClient.newBuilder().sslContext(trustAll()).connectTimeout(Duration.ofSeconds(2)).build();
        Instant deadline = Instant.now().plus(STARTUP_TIMEOUT);
        String lastAnswer = "no answer";
        while (Instant.now().isBefore(deadline)) {
            if (!etcd.isAlive()) {
                throw new ControlPlaneException("etcd exited with " + etcd.exitValue() + "; log tail:\n" + logTail("etcd"));
            }
            if (!apiServer.isAlive()) {
                throw new ControlPlaneException("kube-apiserver exited with " + apiServer.exitValue() + "; log tail:\n"
                        + logTail("kube-apiserver"));
            }
            try {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url() + "/readyz"))
                        .header("Authorization", "Bearer " + adminToken).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    return;
                }
                lastAnswer = response.statusCode() + " " + response.body();
            } catch (IOException e) {
                lastAnswer = e.toString();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ControlPlaneException("interrupted while waiting for kube-apiserver");
            }
            sleep(200);
        }
        throw new ControlPlaneException("kube-apiserver not ready within " + STARTUP_TIMEOUT + " (last: " + lastAnswer
                + "); log tail:\n" + logTail("kube-apiserver"));
    }

    /** The last lines of a process log in the work dir. */
    public String logTail(String name) {
        try {
            return tail(Files.readString(workDir.resolve(name + ".log")));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private static String tail(String text) {
        String[] lines = text.split("\n");
        return String.join("\n", java.util.Arrays.copyOfRange(lines, Math.max(0, lines.length - 25), lines.length));
    }

    private ApiClient client(String token) {
        ApiClient client = Config.fromToken(url(), token, false);
        client.setReadTimeout((int) Duration.ofSeconds(30).toMillis());
        return client;
    }

    /** The apiserver's audit log: one JSON line per write of {@link #CONTROLLER_USER}. */
    public Path auditLog() {
        requireOwnProcesses("the audit log");
        return workDir.resolve("audit.log");
    }

    /** Every write of the controller's identity so far, in order, as the apiserver recorded it. */
    public List<AuditedWrite> controllerWrites() {
        try {
            if (!Files.exists(auditLog())) {
                return List.of();
            }
            try (var lines = Files.lines(auditLog())) {
                return lines.filter(line -> line.endsWith("}")).map(AuditedWrite::parse).toList(); // skip a line being written
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An admin client (group system:masters). */
    public ApiClient adminClient() {
        return admin;
    }

    /** A client that is the controller's ServiceAccount, limited by {@code deploy/rbac.yaml}. */
    public ApiClient controllerClient() {
        return controller;
    }

    /** A fresh client as the controller, e.g. for informers that need their own read timeout. */
    public ApiClient newControllerClient() {
        return client(controllerToken);
    }

    /** A fresh admin client, e.g. for a test's own informers. */
    public ApiClient newAdminClient() {
        if (attached()) {
            try {
                return Config.fromConfig(attachedKubeconfig.toString());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return client(adminToken);
    }

    public Path adminKubeconfig() {
        return attached() ? attachedKubeconfig : workDir.resolve("admin.kubeconfig");
    }

    public Path controllerKubeconfig() {
        return workDir.resolve("controller.kubeconfig");
    }

    public String url() {
        return attached() ? attachedServer : "https://127.0.0.1:" + apiPort;
    }

    public Path binDir() {
        return binDir;
    }

    public Path workDir() {
        return workDir;
    }

    public Path repo() {
        return repoRoot;
    }

    /** Runs the built kubectl as admin. */
    public ProcessResult kubectl(String... args) {
        List<String> command = new ArrayList<>();
        command.add(binDir.resolve("kubectl").toString());
        command.add("--kubeconfig");
        command.add(adminKubeconfig().toString());
        command.addAll(List.of(args));
        return Commands.run(command, repoRoot, Duration.ofMinutes(2));
    }

    private ProcessResult kubectlOrFail(String... args) {
        ProcessResult result = kubectl(args);
        if (!result.ok()) {
            throw new ControlPlaneException("kubectl " + String.join(" ", args) + " failed: " + result.stderr());
        }
        return result;
    }

    /** Deletes every object tests create, so each test starts from a clean cluster. */
    public void reset() {
        try {
            CoreV1Api core = new CoreV1Api(admin);
            core.deleteCollectionNode().execute();
            CustomObjectsApi custom = new CustomObjectsApi(admin);
            for (String plural : CALICO_PLURALS) {
                try {
                    custom.deleteCollectionClusterCustomObject("crd.projectcalico.org", "v1", plural).execute();
                } catch (io.kubernetes.client.openapi.ApiException e) {
                    if (e.getCode() != 404) {
                        throw e;
                    }
                    installCrds(); // a test removed this CRD (and failed before putting it back)
                }
            }
            core.deleteCollectionNamespacedEvent("default").execute();
            CoordinationV1Api coordination = new CoordinationV1Api(admin);
            coordination.listNamespacedLease("kube-system").execute().getItems().stream()
                    .map(lease -> lease.getMetadata().getName())
                    .filter(name -> name.startsWith("calico-rr"))
                    .forEach(name -> {
                        try {
                            coordination.deleteNamespacedLease(name, "kube-system").execute();
                        } catch (io.kubernetes.client.openapi.ApiException e) {
                            throw new ControlPlaneException("deleting lease " + name + ": " + e.getResponseBody(), e);
                        }
                    });
        } catch (io.kubernetes.client.openapi.ApiException e) {
            throw new ControlPlaneException("reset failed: " + e.getCode() + " " + e.getResponseBody(), e);
        }
    }

    /**
     * Runs {@code action} when the control plane stops, before its processes do (also on Ctrl-C):
     * clients such as a controller shut down while the API still answers.
     */
    public void onStop(Runnable action) {
        beforeStop.add(action);
    }

    /** Stops both processes (SIGTERM, then SIGKILL after 10 s). Idempotent. */
    public synchronized void stop() {
        beforeStop.forEach(Runnable::run);
        beforeStop.clear();
        Commands.terminate(apiServer, Duration.ofSeconds(10));
        Commands.terminate(etcd, Duration.ofSeconds(10));
    }

    @Override
    public void close() {
        stop();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // already shutting down: the hook runs stop() itself
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String token() {
        byte[] bytes = new byte[16];
        new SecureRandom().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    /** The apiserver's self-signed loopback certificate is trusted as is: nothing else is reached. */
    private static SSLContext trustAll() {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {new X509TrustManager() {
                @Override
                public void checkClientTrusted(X509Certificate[] chain, String authType) {
                }

                @Override
                public void checkServerTrusted(X509Certificate[] chain, String authType) {
                }

                @Override
                public X509Certificate[] getAcceptedIssuers() {
                    return new X509Certificate[0];
                }
            }}, new SecureRandom());
            return context;
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
