package dev.calicorr.core.runtime;

import com.google.gson.Gson;
import dev.calicorr.core.kube.CalicoApi;
import dev.calicorr.core.kube.ConfigurationStore;
import dev.calicorr.core.kube.KubeControllersConfiguration;
import io.kubernetes.client.informer.ResourceEventHandler;
import io.kubernetes.client.informer.SharedIndexInformer;
import io.kubernetes.client.informer.SharedInformerFactory;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CustomObjectsApi;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in for upstream calico-kube-controllers' status writer: on every watch event of
 * {@code KubeControllersConfiguration/default} it computes the status from its own view (its
 * controllers, the spec's log severity) and, when the stored status differs, replaces the whole
 * status. It also counts every change of the object it sees, whoever made it.
 */
final class UpstreamStatusWriter implements AutoCloseable {
    final AtomicInteger statusWrites = new AtomicInteger();
    final AtomicInteger objectChanges = new AtomicInteger();

    private final SharedInformerFactory factory;
    private final CustomObjectsApi api;
    private final Gson gson;

    UpstreamStatusWriter(ApiClient admin, ApiClient watchClient) {
        this.api = new CustomObjectsApi(admin);
        this.gson = admin.getJSON().getGson();
        watchClient.setReadTimeout(0);
        factory = new SharedInformerFactory(watchClient);
        SharedIndexInformer<KubeControllersConfiguration> informer = factory.sharedIndexInformerFor(
                ConfigurationStore.api(watchClient), KubeControllersConfiguration.class, 0);
        informer.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(KubeControllersConfiguration obj) {
                reconcile(obj);
            }

            @Override
            public void onUpdate(KubeControllersConfiguration oldObj, KubeControllersConfiguration newObj) {
                if (!Objects.equals(oldObj.getMetadata().getResourceVersion(),
                        newObj.getMetadata().getResourceVersion())) {
                    objectChanges.incrementAndGet();
                }
                reconcile(newObj);
            }

            @Override
            public void onDelete(KubeControllersConfiguration obj, boolean deletedFinalStateUnknown) {
            }
        });
        factory.startAllRegisteredInformers();
    }

    private void reconcile(KubeControllersConfiguration kcc) {
        if (!KubeControllersConfiguration.DEFAULT_NAME.equals(kcc.getMetadata().getName())) {
            return;
        }
        Map<String, Object> spec = kcc.getSpec() == null ? Map.of() : kcc.getSpec();
        Map<String, Object> running = new LinkedHashMap<>();
        running.put("logSeverityScreen", spec.getOrDefault("logSeverityScreen", "Info"));
        running.put("healthChecks", "Enabled");
        running.put("controllers", Map.of("node", Map.of("reconcilerPeriod", "5m", "syncLabels", "Enabled")));
        Map<String, Object> status = Map.of("runningConfig", running,
                "environmentVars", Map.of("ENABLED_CONTROLLERS", "node"));
        if (gson.toJsonTree(status).equals(gson.toJsonTree(kcc.getStatus()))) {
            return;
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("apiVersion", CalicoApi.GROUP + "/" + CalicoApi.VERSION);
        body.put("kind", "KubeControllersConfiguration");
        body.put("metadata", Map.of("name", kcc.getMetadata().getName(),
                "resourceVersion", kcc.getMetadata().getResourceVersion()));
        body.put("spec", spec);
        body.put("status", status);
        try {
            api.replaceClusterCustomObjectStatus(CalicoApi.GROUP, CalicoApi.VERSION, KubeControllersConfiguration.PLURAL,
                    kcc.getMetadata().getName(), body).execute();
            statusWrites.incrementAndGet();
        } catch (ApiException e) {
            // a conflict: a newer version is on its way and gets its own event, as upstream retries
        }
    }

    @Override
    public void close() {
        factory.stopAllRegisteredInformers();
    }
}
