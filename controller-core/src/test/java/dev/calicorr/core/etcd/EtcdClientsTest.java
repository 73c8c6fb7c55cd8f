package dev.calicorr.core.etcd;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.calicorr.core.config.EtcdSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EtcdClientsTest {
    /** The host turns this into its one "cannot run" line at start. */
    @Test
    void tlsFilesThatCannotBeUsedAreNamed(@TempDir Path dir) throws Exception {
        Path notPem = Files.writeString(dir.resolve("ca.pem"), "not a certificate");
        EtcdSettings settings = EtcdSettings.fromEnvironment(Map.of("DATASTORE_TYPE", "etcdv3",
                "ETCD_ENDPOINTS", "https://198.18.0.1:2379", "ETCD_CA_CERT_FILE", notPem.toString())).orElseThrow();
        assertThatThrownBy(() -> EtcdClients.connect(settings)).isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("cannot use the etcd TLS files " + notPem);
    }
}
