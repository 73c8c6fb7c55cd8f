package dev.calicorr.routereflector.apply;

import com.google.gson.Gson;
import dev.calicorr.core.kube.ApiUnavailableException;
import dev.calicorr.core.kube.ConfigurationStore;
import dev.calicorr.core.kube.KubeControllersConfiguration;
import dev.calicorr.core.kube.KubeControllersConfigurationList;
import dev.calicorr.core.kube.Responses;
import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.plan.PlanSummary;
import io.kubernetes.client.custom.V1Patch;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.util.generic.GenericKubernetesApi;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The converged topology in one line of JSON, in the annotation {@value #ANNOTATION} of
 * {@code KubeControllersConfiguration/default}: what {@code kubectl get kubecontrollersconfigurations
 * default -o yaml} shows an operator. Written only when it changed; never in dry-run mode. It holds
 * the topology (type, route reflectors, BGPPeers) and nothing that moves with every client node (the
 * eligible nodes are the metric {@code calico_rr_eligible_nodes}): each write of this object wakes
 * every watcher of it, upstream kube-controllers included.
 */
final class TopologyReport {
    static final String ANNOTATION = "calico-rr-controller/topology";

    private final GenericKubernetesApi<KubeControllersConfiguration, KubeControllersConfigurationList> api;
    private final Gson gson;
    private final boolean dryRun;
    private String lastWritten;

    TopologyReport(ApiClient client, boolean dryRun) {
        this.api = ConfigurationStore.api(client);
        this.gson = client.getJSON().getGson();
        this.dryRun = dryRun;
    }

    void report(PlanSummary summary, RouteReflectorConfig config) throws ApiUnavailableException {
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("topologyType", config.topologyType().configName());
        report.put("routeReflectors", summary.actualPerZone().values().stream().mapToInt(Integer::intValue).sum());
        report.put("routeReflectorsPerZone", new TreeMap<>(summary.actualPerZone()));
        report.put("bgpPeers", summary.peerCount());
        String json = gson.toJson(report);
        if (dryRun || json.equals(lastWritten)) {
            return;
        }
        String patch = gson.toJson(Map.of("metadata", Map.of("annotations", Map.of(ANNOTATION, json))));
        if (Responses.call("reporting the topology", () -> api.patch(KubeControllersConfiguration.DEFAULT_NAME,
                V1Patch.PATCH_FORMAT_JSON_MERGE_PATCH, new V1Patch(patch))).isSuccess()) {
            lastWritten = json;
        }
    }
}
