package dev.calicorr.routereflector.apply;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
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
 * the Kubernetes one in that mode), started from the control plane's etcd binary on loopback, and
 * Calico's own calicoctl pointed at it ({@code DATASTORE_TYPE=etcdv3}).
 */
final class CalicoEtcd implements AutoCloseable {
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

    static CalicoEtcd start(ControlPlane cp) throws Exception {
        Path dir = Files.createTempDirectory(cp.workDir(), "calico-etcd");
        int client = freePort();
        int peer = freePort();
        String url = "http://127.0.0.1:" + client;
        Process etcd = new ProcessBuilder(cp.binDir().resolve("etcd").toString(), "--name", "calico",
                "--data-dir", dir.resolve("data").toString(),
                "--listen-client-urls", url, "--advertise-client-urls", url,
                "--listen-peer-urls", "http://127.0.0.1:" + peer,
                "--initial-advertise-peer-urls", "http://127.0.0.1:" + peer,
                "--initial-cluster", "calico=http://127.0.0.1:" + peer,
                "--unsafe-no-fsync", "--log-level", "warn")
                .redirectErrorStream(true).redirectOutput(dir.resolve("etcd.log").toFile()).start();
        CalicoEtcd started = new CalicoEtcd(etcd, CalicoParts.build(cp.repo()).bin("calicoctl"), dir, url);
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (!started.calicoctl("get", "nodes").ok()) {
            if (!etcd.isAlive() || Instant.now().isAfter(deadline)) {
                started.close();
                throw new IllegalStateException("the Calico etcd did not come up: "
                        + Files.readString(dir.resolve("etcd.log")));
            }
            Thread.sleep(100);
        }
        return started;
    }

    String endpoint() {
        return endpoint;
    }

    /** The environment Calico's components read for this datastore. */
    Map<String, String> environment() {
        return Map.of("DATASTORE_TYPE", "etcdv3", "ETCD_ENDPOINTS", endpoint);
    }

    record Result(int exitCode, String output) {
        boolean ok() {
            return exitCode == 0;
        }
    }

    Result calicoctl(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(calicoctl.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(environment());
        Process process = builder.start();
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("calicoctl " + String.join(" ", args) + " did not finish");
        }
        return new Result(process.exitValue(), new String(output, StandardCharsets.UTF_8));
    }

    /** {@code calicoctl apply -f} of YAML documents: creates Calico resources as an operator would. */
    void apply(String yaml) throws IOException, InterruptedException {
        Path file = Files.createTempFile(dir, "apply", ".yaml");
        Files.writeString(file, yaml);
        Result result = calicoctl("apply", "-f", file.toString());
        if (!result.ok()) {
            throw new AssertionError("calicoctl apply failed: " + result.output());
        }
    }

    /** {@code calicoctl get <kind> -o yaml}, decoded; fails when calicoctl cannot read what is stored. */
    List<JsonNode> get(String kind) throws IOException, InterruptedException {
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
