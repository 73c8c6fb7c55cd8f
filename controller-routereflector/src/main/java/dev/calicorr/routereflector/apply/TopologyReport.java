package dev.calicorr.routereflector.apply;

import com.google.gson.Gson;
import dev.calicorr.core.kube.ApiUnavailableException;
import dev.calicorr.core.plugin.ControllerContext;
import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.plan.PlanSummary;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The converged topology in one line of JSON, in the annotation {@value #ANNOTATION} of
 * {@code KubeControllersConfiguration/default}: what {@code kubectl get kubecontrollersconfigurations
 * default -o yaml} (or, in the etcdv3 datastore, {@code calicoctl get kubecontrollersconfigurations})
 * shows an operator. Written only when it changed; never in dry-run mode. It holds the topology
 * (type, route reflectors, BGPPeers) and nothing that moves with every client node (the eligible
 * nodes are the metric {@code calico_rr_eligible_nodes}): each write of this object wakes every
 * watcher of it, upstream kube-controllers included.
 */
final class TopologyReport {
    static final String ANNOTATION = "calico-rr-controller/topology";

    private final ControllerContext context;
    private final Gson gson;
    private String lastWritten;

    TopologyReport(ControllerContext context) {
        this.context = context;
        this.gson = context.apiClient().getJSON().getGson();
    }

    void report(PlanSummary summary, RouteReflectorConfig config) throws ApiUnavailableException {
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("topologyType", config.topologyType().configName());
        report.put("routeReflectors", summary.actualPerZone().values().stream().mapToInt(Integer::intValue).sum());
        report.put("routeReflectorsPerZone", new TreeMap<>(summary.actualPerZone()));
        report.put("bgpPeers", summary.peerCount());
        String json = gson.toJson(report);
        if (context.dryRun() || json.equals(lastWritten)) {
            return;
        }
        if (context.annotateConfiguration("reporting the topology", ANNOTATION, json)) {
            lastWritten = json;
        }
    }
}
