package dev.calicorr.core.kube;

import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.util.ClientBuilder;
import io.kubernetes.client.util.KubeConfig;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;

/** API clients as every command of the process builds them: from a kubeconfig file, else the standard lookup. */
public final class KubeClients {
    private KubeClients() {
    }

    /**
     * @param kubeconfig a kubeconfig file, or null for client-java's standard lookup: {@code $KUBECONFIG},
     *                   {@code ~/.kube/config}, then the in-cluster service account
     */
    public static ApiClient create(Path kubeconfig) throws IOException {
        if (kubeconfig == null) {
            return ClientBuilder.standard().build();
        }
        try (Reader reader = Files.newBufferedReader(kubeconfig)) {
            KubeConfig config = KubeConfig.loadKubeConfig(reader);
            config.setFile(kubeconfig.toFile());
            return ClientBuilder.kubeconfig(config).build();
        }
    }
}
