package dev.calicorr.core.etcd;

import dev.calicorr.core.config.EtcdSettings;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import java.net.URI;
import java.time.Duration;
import javax.net.ssl.SSLException;

/** The one way this process connects to Calico's etcd. */
public final class EtcdClients {
    private EtcdClients() {
    }

    /**
     * A jetcd client with the TLS of Calico's variables (the CA, and the client certificate where
     * set) and etcd's own login where {@code ETCD_USERNAME} is set.
     */
    public static Client connect(EtcdSettings settings) {
        ClientBuilder builder = Client.builder().endpoints(settings.endpoints().toArray(URI[]::new))
                .connectTimeout(Duration.ofSeconds(10));
        if (settings.username().isPresent()) {
            builder.user(EtcdKv.bytes(settings.username().get())).password(EtcdKv.bytes(settings.password().orElseThrow()));
        }
        if (settings.tls()) {
            try {
                builder.sslContext(ssl -> {
                    settings.caCertFile().ifPresent(ca -> ssl.trustManager(ca.toFile()));
                    if (settings.certFile().isPresent()) {
                        ssl.keyManager(settings.certFile().get().toFile(), settings.keyFile().orElseThrow().toFile());
                    }
                });
            } catch (SSLException | IllegalArgumentException e) {
                throw new IllegalStateException("cannot use the etcd TLS files " + settings.caCertFile().orElse(null)
                        + ", " + settings.certFile().orElse(null) + ", " + settings.keyFile().orElse(null) + ": "
                        + e.getMessage(), e);
            }
        }
        return builder.build();
    }
}
