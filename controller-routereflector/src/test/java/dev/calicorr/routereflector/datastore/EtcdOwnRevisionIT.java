package dev.calicorr.routereflector.datastore;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.calicorr.core.config.EtcdSettings;
import dev.calicorr.core.etcd.EtcdClients;
import dev.calicorr.core.etcd.EtcdKeys;
import dev.calicorr.core.etcd.EtcdKv;
import dev.calicorr.routereflector.kube.CalicoNodeStatus;
import dev.calicorr.testsupport.ControlPlane;
import dev.calicorr.testsupport.RealControlPlane;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A CalicoNodeStatus created in etcd carries its own mod revision as its resource version (what
 * calico-node's status reporter needs to update it), also while other writes to etcd race with the
 * create: each create either got the revision its value names or was taken back.
 */
@RealControlPlane
class EtcdOwnRevisionIT {
    private static final int CREATES = 40;

    @Test
    void eachCreateEitherCarriesItsOwnRevisionOrIsTakenBack(ControlPlane cp) throws Exception {
        try (CalicoEtcd etcd = CalicoEtcd.start(cp);
                Client client = EtcdClients.connect(EtcdSettings.fromEnvironment(etcd.environment()).orElseThrow())) {
            EtcdKv kv = new EtcdKv(client);
            EtcdResources<CalicoNodeStatus> statuses = new EtcdResources<>(kv, CalicoNodeStatus.class,
                    CalicoNodeStatus.PLURAL);

            EtcdKv.Created<CalicoNodeStatus> quiet = statuses.createWithOwnRevision(status("quiet"));
            assertThat(quiet.raced()).as("nothing else writes").isFalse();
            assertThat(quiet.response().isSuccess()).isTrue();
            assertCarriesItsOwnRevision(kv, "quiet");
            assertThat(statuses.createWithOwnRevision(status("quiet")).response().getHttpStatusCode()).isEqualTo(409);

            // another writer puts other keys as fast as it can while statuses are created
            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicInteger others = new AtomicInteger();
            Thread writer = new Thread(() -> {
                Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
                while (writing.get() && Instant.now().isBefore(deadline)) {
                    try {
                        client.getKVClient().put(EtcdKv.bytes("/other/" + others.incrementAndGet() % 10),
                                EtcdKv.bytes("x")).get();
                    } catch (Exception e) {
                        return;
                    }
                }
            }, "other-writer");
            writer.start();
            int raced = 0;
            try {
                for (int i = 0; i < CREATES; i++) {
                    String name = "busy-" + i;
                    EtcdKv.Created<CalicoNodeStatus> created = statuses.createWithOwnRevision(status(name));
                    if (created.raced()) {
                        raced++;
                        assertThat(created.response().getHttpStatusCode()).isEqualTo(409);
                        assertThat(stored(kv, name)).as("%s taken back", name).isEmpty();
                    } else {
                        assertThat(created.response().isSuccess()).as("%s created", name).isTrue();
                        assertCarriesItsOwnRevision(kv, name);
                    }
                }
            } finally {
                writing.set(false);
                writer.join(10_000);
            }
            assertThat(others.get()).as("the other writer wrote meanwhile").isPositive();
            System.out.printf("%d of %d creates raced with %d other writes%n", raced, CREATES, others.get());
        }
    }

    private static CalicoNodeStatus status(String name) {
        return new CalicoNodeStatus(new V1ObjectMeta().name(name),
                new CalicoNodeStatus.Spec("node-" + name, List.of(CalicoNodeStatus.CLASS_BGP), 10));
    }

    private static Optional<KeyValue> stored(EtcdKv kv, String name) throws Exception {
        return kv.get(EtcdKeys.key(CalicoNodeStatus.PLURAL, name));
    }

    private static void assertCarriesItsOwnRevision(EtcdKv kv, String name) throws Exception {
        KeyValue stored = stored(kv, name).orElseThrow();
        JsonObject value = JsonParser.parseString(stored.getValue().toString(StandardCharsets.UTF_8)).getAsJsonObject();
        assertThat(value.getAsJsonObject("metadata").get("resourceVersion").getAsString()).as("%s's resourceVersion", name)
                .isEqualTo(Long.toString(stored.getModRevision()));
    }
}
