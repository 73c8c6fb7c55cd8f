package dev.calicorr.routereflector.datastore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.calicorr.core.config.EtcdSettings;
import dev.calicorr.core.etcd.EtcdClients;
import dev.calicorr.core.etcd.EtcdKeys;
import dev.calicorr.core.etcd.EtcdKv;
import dev.calicorr.core.etcd.EtcdWatch;
import dev.calicorr.testsupport.ControlPlane;
import dev.calicorr.testsupport.RealControlPlane;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/** The watch of one prefix against a real etcd (TLS, client certificate): list, watch, relist after compaction. */
@RealControlPlane
class EtcdWatchIT {
    private static final String PREFIX = EtcdKeys.prefix("bgppeers");

    /** Keeps what it is told, by key. */
    private static final class Recorded implements EtcdWatch.Sink {
        final Map<String, String> values = new ConcurrentHashMap<>();
        final AtomicInteger lists = new AtomicInteger();

        @Override
        public void replace(List<KeyValue> kvs) {
            values.clear();
            kvs.forEach(this::stored);
            lists.incrementAndGet();
        }

        @Override
        public void stored(KeyValue kv) {
            values.put(kv.getKey().toString(StandardCharsets.UTF_8), kv.getValue().toString(StandardCharsets.UTF_8));
        }

        @Override
        public void removed(String key) {
            values.remove(key);
        }
    }

    @Test
    void followsChangesAndListsAgainWhenItsRevisionWasCompactedAway(ControlPlane cp) throws Exception {
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        try (CalicoEtcd etcd = CalicoEtcd.start(cp);
                Client client = EtcdClients.connect(EtcdSettings.fromEnvironment(etcd.environment()).orElseThrow())) {
            EtcdKv kv = new EtcdKv(client);
            put(client, PREFIX + "before", "1");
            Recorded sink = new Recorded();
            EtcdWatch watch = new EtcdWatch(client, PREFIX, sink, () -> { }, scheduler);
            watch.start();
            await("the first list", () -> watch.hasSynced() && sink.values.containsKey(PREFIX + "before"));

            put(client, PREFIX + "added", "2");
            client.getKVClient().delete(EtcdKv.bytes(PREFIX + "before")).get();
            put(client, "/calico/resources/v3/projectcalico.org/nodes/elsewhere", "{}");
            await("the watched changes", () -> sink.values.equals(Map.of(PREFIX + "added", "2")));
            assertThat(sink.lists.get()).isEqualTo(1);

            // a watch resumed from a revision etcd has compacted away: etcd refuses it, so we list again
            long now = kv.list(PREFIX).getHeader().getRevision();
            put(client, PREFIX + "while-away", "3");
            client.getKVClient().compact(now + 1).get();
            watch.resumeFrom(2);
            await("a second list", () -> sink.lists.get() == 2);
            assertThat(sink.values).isEqualTo(Map.of(PREFIX + "added", "2", PREFIX + "while-away", "3"));

            // and it watches on from there
            put(client, PREFIX + "after", "4");
            await("changes after the relist", () -> sink.values.containsKey(PREFIX + "after"));
            watch.close();
        } finally {
            scheduler.shutdownNow();
        }
    }

    private static void put(Client client, String key, String value) throws Exception {
        client.getKVClient().put(EtcdKv.bytes(key), EtcdKv.bytes(value)).get();
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(50);
        }
    }
}
