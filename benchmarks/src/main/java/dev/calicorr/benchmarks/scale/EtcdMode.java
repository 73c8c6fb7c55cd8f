package dev.calicorr.benchmarks.scale;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.calicorr.core.etcd.EtcdKeys;
import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.testsupport.ControlPlane;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The scale benchmark with Calico on etcd ({@code DATASTORE_TYPE=etcdv3}): a second etcd, Calico's
 * datastore, started from the control plane's etcd binary on loopback; {@code default} and a Calico
 * Node per Kubernetes Node (as calico-node registers it, with its BGP address) written there in
 * libcalico-go's layout; and the writes to Calico Nodes and BGPPeers counted from etcd's own watch,
 * every put or delete that is not the benchmark's.
 */
final class EtcdMode implements AutoCloseable {
    private static final String NODES = EtcdKeys.prefix(EtcdKeys.NODES);
    private static final String PEERS = EtcdKeys.prefix("bgppeers");

    private final Process etcd;
    private final Client client;
    private final String endpoint;
    private final Watch.Watcher watcher;
    /** each put or delete under nodes/ or bgppeers/, when it was seen; the benchmark's own are left out when read */
    private final List<Seen> writes = Collections.synchronizedList(new ArrayList<>());
    /** mod revisions of the benchmark's own puts and deletes, not counted */
    private final Set<Long> ours = Collections.synchronizedSet(new HashSet<>());

    private record Seen(long revision, Instant at) {
    }

    private EtcdMode(Process etcd, Client client, String endpoint) {
        this.etcd = etcd;
        this.client = client;
        this.endpoint = endpoint;
        this.watcher = client.getWatchClient().watch(bytes(EtcdKeys.ROOT),
                WatchOption.builder().isPrefix(true).build(), response -> {
                    for (WatchEvent event : response.getEvents()) {
                        String key = event.getKeyValue().getKey().toString(StandardCharsets.UTF_8);
                        long revision = event.getKeyValue().getModRevision();
                        if (key.startsWith(NODES) || key.startsWith(PEERS)) {
                            writes.add(new Seen(revision, Instant.now()));
                        }
                    }
                });
    }

    static EtcdMode start(ControlPlane cp) throws Exception {
        Path dir = Files.createTempDirectory(cp.workDir(), "calico-etcd");
        int port = freePort();
        int peer = freePort();
        String url = "http://127.0.0.1:" + port;
        Process etcd = new ProcessBuilder(cp.binDir().resolve("etcd").toString(), "--name", "calico",
                "--data-dir", dir.resolve("data").toString(), "--listen-client-urls", url, "--advertise-client-urls", url,
                "--listen-peer-urls", "http://127.0.0.1:" + peer, "--initial-advertise-peer-urls", "http://127.0.0.1:" + peer,
                "--initial-cluster", "calico=http://127.0.0.1:" + peer, "--unsafe-no-fsync", "--log-level", "warn",
                "--quota-backend-bytes", String.valueOf(8L << 30))
                .redirectErrorStream(true).redirectOutput(dir.resolve("etcd.log").toFile()).start();
        Client client = Client.builder().endpoints(url).build();
        for (int attempt = 0; ; attempt++) {
            try {
                client.getKVClient().get(bytes("/")).get(2, TimeUnit.SECONDS);
                break;
            } catch (Exception notUpYet) {
                if (attempt >= 50 || !etcd.isAlive()) {
                    etcd.destroy();
                    throw new IllegalStateException("Calico's etcd did not start; see " + dir.resolve("etcd.log"), notUpYet);
                }
                Thread.sleep(200);
            }
        }
        return new EtcdMode(etcd, client, url);
    }

    /** What the controller process needs to run on this datastore. */
    Map<String, String> environment() {
        return Map.of("DATASTORE_TYPE", "etcdv3", "ETCD_ENDPOINTS", endpoint);
    }

    /** KubeControllersConfiguration {@code default} with this spec, where upstream reads it in etcd mode. */
    void putConfiguration(Map<String, Object> spec) throws Exception {
        put(EtcdKeys.key("kubecontrollersconfigurations", "default"),
                resource("KubeControllersConfiguration", "default", new Gson().toJson(spec)));
    }

    /** The Calico Node calico-node registers for a Kubernetes Node: its name and BGP address. */
    void putNode(String name, int index) throws Exception {
        JsonObject spec = new JsonObject();
        JsonObject bgp = new JsonObject();
        bgp.addProperty("ipv4Address", "198.18." + (index / 250) + "." + (1 + index % 250) + "/16");
        spec.add("bgp", bgp);
        put(EtcdKeys.key(EtcdKeys.NODES, name), resource("Node", name, spec.toString()));
    }

    void deleteNode(String name) throws Exception {
        long revision = client.getKVClient().delete(bytes(EtcdKeys.key(EtcdKeys.NODES, name))).get().getHeader().getRevision();
        ours.add(revision);
    }

    /** The writes seen so far (a mark for {@link #controllerWritesSince}). */
    int writes() {
        return writes.size();
    }

    /** When each write of the controller since {@code mark} was seen. */
    List<Instant> controllerWritesSince(int mark) {
        synchronized (writes) {
            return writes.subList(mark, writes.size()).stream().filter(w -> !ours.contains(w.revision()))
                    .map(Seen::at).toList();
        }
    }

    /** The nodes whose Calico Node carries the route reflector label, or not, by name. */
    List<String> nodes(boolean reflectors) throws Exception {
        List<String> names = new ArrayList<>();
        for (KeyValue kv : client.getKVClient().get(bytes(NODES), GetOption.builder().isPrefix(true).build()).get().getKvs()) {
            JsonObject node = JsonParser.parseString(kv.getValue().toString(StandardCharsets.UTF_8)).getAsJsonObject();
            JsonObject metadata = node.getAsJsonObject("metadata");
            boolean reflector = metadata.has("labels")
                    && metadata.getAsJsonObject("labels").has(RouteReflectorConfig.DEFAULT_RR_LABEL_KEY);
            if (reflector == reflectors) {
                names.add(metadata.get("name").getAsString());
            }
        }
        Collections.sort(names);
        return names;
    }

    private void put(String key, String value) throws Exception {
        ours.add(client.getKVClient().put(bytes(key), bytes(value)).get().getHeader().getRevision());
    }

    /** A resource as libcalico-go stores it: no resourceVersion (the mod revision is one). */
    private static String resource(String kind, String name, String spec) {
        JsonObject object = new JsonObject();
        object.addProperty("kind", kind);
        object.addProperty("apiVersion", EtcdKeys.API_VERSION);
        JsonObject metadata = new JsonObject();
        metadata.addProperty("name", name);
        metadata.addProperty("uid", UUID.randomUUID().toString());
        metadata.addProperty("creationTimestamp", Instant.now().toString());
        object.add("metadata", metadata);
        object.add("spec", JsonParser.parseString(spec));
        return object.toString();
    }

    private static ByteSequence bytes(String text) {
        return ByteSequence.from(text, StandardCharsets.UTF_8);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() {
        watcher.close();
        client.close();
        etcd.destroy();
        try {
            etcd.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
