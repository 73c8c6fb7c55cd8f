package dev.calicorr.core.runtime;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * How one host process runs, from its command line.
 *
 * @param environment    the process environment (only {@code Main} reads {@code System.getenv()})
 * @param healthAddress  where {@code /healthz} and {@code /readyz} listen
 * @param healthPort     their port; 0 picks a free one (tests)
 * @param dryRun         log the plans, write nothing (no Lease either: every replica plans)
 * @param standalone     ours is the only kube-controllers: we own {@code status} of the config CR
 * @param identity       this replica's name in the leader Lease
 * @param startupTimeout how long to wait for the API at start before giving up
 * @param fileSpec       the {@code --config} file's spec, standing in for what the CR lacks (empty: none)
 */
public record HostOptions(
        Map<String, String> environment,
        String healthAddress,
        int healthPort,
        boolean dryRun,
        boolean standalone,
        String leaseNamespace,
        String leaseName,
        String identity,
        Duration leaseDuration,
        Duration renewDeadline,
        Duration retryPeriod,
        Duration startupTimeout,
        Map<String, Object> fileSpec) {

    public static final String DEFAULT_LEASE_NAME = "calico-rr-controller";
    public static final String DEFAULT_LEASE_NAMESPACE = "kube-system";
    public static final int DEFAULT_HEALTH_PORT = 9099;

    public HostOptions {
        environment = Map.copyOf(environment);
        fileSpec = Map.copyOf(fileSpec);
        Objects.requireNonNull(identity, "identity");
    }

    /** Production timings (those of Kubernetes' own controllers) for the given environment. */
    public static HostOptions defaults(Map<String, String> environment, String identity) {
        return new HostOptions(environment, "0.0.0.0", DEFAULT_HEALTH_PORT, false, false,
                environment.getOrDefault("POD_NAMESPACE", DEFAULT_LEASE_NAMESPACE), DEFAULT_LEASE_NAME, identity,
                Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofSeconds(2), Duration.ofMinutes(2), Map.of());
    }

    public HostOptions withHealth(String address, int port) {
        return new HostOptions(environment, address, port, dryRun, standalone, leaseNamespace, leaseName, identity,
                leaseDuration, renewDeadline, retryPeriod, startupTimeout, fileSpec);
    }

    public HostOptions withModes(boolean dryRunMode, boolean standaloneMode) {
        return new HostOptions(environment, healthAddress, healthPort, dryRunMode, standaloneMode, leaseNamespace,
                leaseName, identity, leaseDuration, renewDeadline, retryPeriod, startupTimeout, fileSpec);
    }

    public HostOptions withLease(String namespace, String name, Duration duration, Duration renew, Duration retry) {
        return new HostOptions(environment, healthAddress, healthPort, dryRun, standalone, namespace, name, identity,
                duration, renew, retry, startupTimeout, fileSpec);
    }

    public HostOptions withStartupTimeout(Duration timeout) {
        return new HostOptions(environment, healthAddress, healthPort, dryRun, standalone, leaseNamespace, leaseName,
                identity, leaseDuration, renewDeadline, retryPeriod, timeout, fileSpec);
    }

    public HostOptions withFileSpec(Map<String, Object> spec) {
        return new HostOptions(environment, healthAddress, healthPort, dryRun, standalone, leaseNamespace, leaseName,
                identity, leaseDuration, renewDeadline, retryPeriod, startupTimeout, spec);
    }
}
