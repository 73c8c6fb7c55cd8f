package dev.calicorr.routereflector.datastore;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.calicorr.core.config.EtcdSettings;
import dev.calicorr.core.etcd.EtcdClients;
import dev.calicorr.core.etcd.EtcdKv;
import dev.calicorr.testsupport.ControlPlane;
import dev.calicorr.testsupport.bgp.CalicoParts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A second etcd, the Calico datastore of an etcdv3 install (Calico keeps its own etcd apart from
 * the Kubernetes one in that mode), started from the control plane's etcd binary on loopback with
 * TLS and client certificate authentication, and Calico's own calicoctl pointed at it
 * ({@code DATASTORE_TYPE=etcdv3}).
 */
public final class CalicoEtcd implements AutoCloseable {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private final Process etcd;
    private final Path calicoctl;
    private final Path dir;
    private final String endpoint;

    private CalicoEtcd(Process etcd, Path calicoctl, Path dir, String endpoint) {
        this.etcd = etcd;
        this.calicoctl = calicoctl;
        this.dir = dir;
        this.endpoint = endpoint;
    }

    public static CalicoEtcd start(ControlPlane cp) throws Exception {
        Path dir = Files.createTempDirectory(cp.workDir(), "calico-etcd");
        certificates(dir);
        int client = freePort();
        int peer = freePort();
        String url = "https://127.0.0.1:" + client;
        Process etcd = new ProcessBuilder(cp.binDir().resolve("etcd").toString(), "--name", "calico",
                "--data-dir", dir.resolve("data").toString(),
                "--listen-client-urls", url, "--advertise-client-urls", url,
                "--cert-file", dir.resolve("server.pem").toString(), "--key-file", dir.resolve("server-key.pem").toString(),
                "--trusted-ca-file", dir.resolve("ca.pem").toString(), "--client-cert-auth",
                "--listen-peer-urls", "http://127.0.0.1:" + peer,
                "--initial-advertise-peer-urls", "http://127.0.0.1:" + peer,
                "--initial-cluster", "calico=http://127.0.0.1:" + peer,
                "--unsafe-no-fsync", "--log-level", "warn")
                .redirectErrorStream(true).redirectOutput(dir.resolve("etcd.log").toFile()).start();
        CalicoEtcd started = new CalicoEtcd(etcd, CalicoParts.build(cp.repo()).bin("calicoctl"), dir, url);
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (!started.calicoctl(started.environment(), Duration.ofSeconds(5), "get", "nodes").ok()) {
            if (!etcd.isAlive() || Instant.now().isAfter(deadline)) {
                started.close();
                throw new IllegalStateException("the Calico etcd did not come up: "
                        + Files.readString(dir.resolve("etcd.log")));
            }
            Thread.sleep(100);
        }
        return started;
    }

    /**
     * A CA, etcd's server certificate for 127.0.0.1, and a client certificate whose key is in the
     * traditional PKCS#1 form ({@code BEGIN RSA PRIVATE KEY}) many etcd installs hand out.
     */
    private static void certificates(Path dir) throws IOException, InterruptedException {
        Files.writeString(dir.resolve("server.ext"), "subjectAltName=IP:127.0.0.1\n"
                // clientAuth too: etcd's own gateway connects to its client port with this certificate
                + "extendedKeyUsage=serverAuth,clientAuth\n");
        Files.writeString(dir.resolve("client.ext"), "extendedKeyUsage=clientAuth\n");
        openssl(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca-key.pem", "-out", "ca.pem",
                "-days", "1", "-subj", "/CN=calico-etcd-ca");
        for (String name : List.of("server", "client")) {
            openssl(dir, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", name + "-key.pem", "-out", name + ".csr",
                    "-subj", "/CN=" + name);
            openssl(dir, "x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem",
                    "-CAcreateserial", "-out", name + ".pem", "-days", "1", "-extfile", name + ".ext");
        }
        openssl(dir, "rsa", "-in", "client-key.pem", "-out", "client-key.pem", "-traditional");
    }

    private static void openssl(Path dir, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (process.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
        }
    }

    public String endpoint() {
        return endpoint;
    }

    public Path calicoctlBinary() {
        return calicoctl;
    }

    /** Where this etcd keeps its data, certificates and logs. */
    public Path workDir() {
        return dir;
    }

    /** The environment Calico's components read for this datastore: TLS with our client certificate. */
    public Map<String, String> environment() {
        return Map.of("DATASTORE_TYPE", "etcdv3", "ETCD_ENDPOINTS", endpoint,
                "ETCD_CA_CERT_FILE", dir.resolve("ca.pem").toString(),
                "ETCD_CERT_FILE", dir.resolve("client.pem").toString(),
                "ETCD_KEY_FILE", dir.resolve("client-key.pem").toString());
    }

    /** The same without a client certificate: etcd must refuse it. */
    public Map<String, String> environmentWithoutClientCertificate() {
        return Map.of("DATASTORE_TYPE", "etcdv3", "ETCD_ENDPOINTS", endpoint,
                "ETCD_CA_CERT_FILE", dir.resolve("ca.pem").toString());
    }

    public record Result(int exitCode, String output) {
        public boolean ok() {
            return exitCode == 0;
        }
    }

    public Result calicoctl(String... args) throws IOException, InterruptedException {
        return calicoctl(environment(), Duration.ofSeconds(30), args);
    }

    /** @return exit code -1 when calicoctl did not finish within {@code timeout} (it retries a refused connection) */
    public Result calicoctl(Map<String, String> env, Duration timeout, String... args)
            throws IOException, InterruptedException {
        return calicoctl(calicoctl, dir, env, timeout, args);
    }

    /** Runs the {@code calicoctl} binary with this environment (any datastore), its output kept in {@code dir}. */
    public static Result calicoctl(Path calicoctl, Path dir, Map<String, String> env, Duration timeout, String... args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(calicoctl.toString()));
        command.addAll(List.of(args));
        Path output = Files.createTempFile(dir, "calicoctl", ".out");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile());
        builder.environment().putAll(env);
        Process process = builder.start();
        boolean finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (!finished) {
            process.destroyForcibly().waitFor();
        }
        String text = Files.readString(output);
        Files.delete(output);
        return new Result(finished ? process.exitValue() : -1, text);
    }

    /** Each key under {@code prefix} with its mod revision: a list that changes with every write there. */
    public List<String> keyRevisions(String prefix) throws Exception {
        try (io.etcd.jetcd.Client client = EtcdClients.connect(EtcdSettings.fromEnvironment(environment()).orElseThrow())) {
            return client.getKVClient().get(EtcdKv.bytes(prefix),
                    io.etcd.jetcd.options.GetOption.builder().isPrefix(true).build()).get().getKvs().stream()
                    .map(kv -> kv.getKey().toString(StandardCharsets.UTF_8) + "@" + kv.getModRevision()).sorted().toList();
        }
    }

    /** The values of every key under {@code prefix}. */
    public List<String> values(String prefix) throws Exception {
        try (io.etcd.jetcd.Client client = EtcdClients.connect(EtcdSettings.fromEnvironment(environment()).orElseThrow())) {
            return client.getKVClient().get(EtcdKv.bytes(prefix),
                    io.etcd.jetcd.options.GetOption.builder().isPrefix(true).build()).get().getKvs().stream()
                    .map(kv -> kv.getValue().toString(StandardCharsets.UTF_8)).toList();
        }
    }

    /** Puts a value as {@code etcdctl put} does: unconditionally, whatever it holds. */
    public void put(String key, String value) throws Exception {
        try (io.etcd.jetcd.Client client = EtcdClients.connect(EtcdSettings.fromEnvironment(environment()).orElseThrow())) {
            client.getKVClient().put(EtcdKv.bytes(key), EtcdKv.bytes(value)).get();
        }
    }

    public void delete(String key) throws Exception {
        try (io.etcd.jetcd.Client client = EtcdClients.connect(EtcdSettings.fromEnvironment(environment()).orElseThrow())) {
            client.getKVClient().delete(EtcdKv.bytes(key)).get();
        }
    }

    /** The value of a key as stored, or empty. */
    public java.util.Optional<String> value(String key) throws Exception {
        try (io.etcd.jetcd.Client client = EtcdClients.connect(EtcdSettings.fromEnvironment(environment()).orElseThrow())) {
            return client.getKVClient().get(EtcdKv.bytes(key)).get().getKvs().stream().findFirst()
                    .map(kv -> kv.getValue().toString(StandardCharsets.UTF_8));
        }
    }

    /** What etcd logged (warnings and errors). */
    public String log() throws IOException {
        return Files.readString(dir.resolve("etcd.log"));
    }

    /** {@code calicoctl apply -f} of YAML documents: creates Calico resources as an operator would. */
    public void apply(String yaml) throws IOException, InterruptedException {
        Path file = Files.createTempFile(dir, "apply", ".yaml");
        Files.writeString(file, yaml);
        Result result = calicoctl("apply", "-f", file.toString());
        if (!result.ok()) {
            throw new AssertionError("calicoctl apply failed: " + result.output());
        }
    }

    /** {@code calicoctl get <kind> -o yaml}, decoded; fails when calicoctl cannot read what is stored. */
    public List<JsonNode> get(String kind) throws IOException, InterruptedException {
        Result result = calicoctl("get", kind, "-o", "yaml");
        if (!result.ok()) {
            throw new AssertionError("calicoctl get " + kind + " failed (exit " + result.exitCode() + "): "
                    + result.output());
        }
        JsonNode read = YAML.readTree(result.output());
        List<JsonNode> items = new ArrayList<>();
        (read.has("items") ? read.get("items") : YAML.createArrayNode().add(read)).forEach(items::add);
        return items;
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        etcd.destroy();
        try {
            if (!etcd.waitFor(10, TimeUnit.SECONDS)) {
                etcd.destroyForcibly();
            }
        } catch (InterruptedException e) {
            etcd.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
