package dev.calicorr.core.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * The host's own metrics. Every metric of this product starts with {@link #PREFIX}, which neither
 * upstream kube-controllers nor the route reflector fork uses.
 */
public final class HostMetrics {
    public static final String PREFIX = "calico_rr_";

    private final Gauge leader;
    private final Counter rejectedConfigs;
    private final Gauge sectionPruned;

    public HostMetrics(PrometheusRegistry registry) {
        leader = Gauge.builder().name(PREFIX + "leader")
                .help("1 while this replica holds the leader Lease and runs the controllers, else 0")
                .register(registry);
        rejectedConfigs = Counter.builder().name(PREFIX + "config_rejected_total")
                .help("Configurations rejected as invalid; the last good one stays in force")
                .labelNames("controller")
                .register(registry);
        sectionPruned = Gauge.builder().name(PREFIX + "config_section_pruned")
                .help("1 when the installed KubeControllersConfiguration CRD drops (part of) the controller's "
                        + "section, so it runs on environment variables and --config; checked at start")
                .labelNames("controller")
                .register(registry);
    }

    public void leader(boolean leading) {
        leader.set(leading ? 1 : 0);
    }

    public void configRejected(String controller) {
        rejectedConfigs.labelValues(controller).inc();
    }

    public void sectionPruned(String controller, boolean pruned) {
        sectionPruned.labelValues(controller).set(pruned ? 1 : 0);
    }
}
