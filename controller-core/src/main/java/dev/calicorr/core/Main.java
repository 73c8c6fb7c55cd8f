package dev.calicorr.core;

import dev.calicorr.core.config.FatalConfigException;
import dev.calicorr.core.config.SpecFile;
import dev.calicorr.core.runtime.Host;
import dev.calicorr.core.runtime.HostOptions;
import dev.calicorr.core.runtime.HostStartException;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.util.ClientBuilder;
import io.kubernetes.client.util.KubeConfig;
import java.io.IOException;
import java.io.Reader;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code kube-controllers}: runs the host with the plugins on the class path until SIGTERM. */
@Command(name = "kube-controllers", mixinStandardHelpOptions = true, version = "calico-rr-controller 0.1.0",
        description = "Calico kube-controllers host with the route reflector controller. Settings come from "
                + "KubeControllersConfiguration/default and the environment (ENABLED_CONTROLLERS, LOG_LEVEL, ...).")
public final class Main implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(Main.class);

    @Option(names = "--kubeconfig", description = "kubeconfig file; default: $KUBECONFIG, ~/.kube/config, in-cluster")
    Path kubeconfig;

    @Option(names = "--health-port", defaultValue = "" + HostOptions.DEFAULT_HEALTH_PORT,
            description = "port of /healthz and /readyz (default: ${DEFAULT-VALUE})")
    int healthPort;

    @Option(names = "--health-address", defaultValue = "0.0.0.0", description = "address of /healthz and /readyz")
    String healthAddress;

    @Option(names = "--dry-run", description = "log every planned change and write nothing")
    boolean dryRun;

    @Option(names = "--standalone", description = "ours is the only kube-controllers: own status.runningConfig "
            + "(beside Calico's calico-kube-controllers, leave this off)")
    boolean standalone;

    @Option(names = "--config", paramLabel = "FILE", description = "a KubeControllersConfiguration spec (YAML or "
            + "JSON) standing in for what the CR lacks, e.g. a section the installed CRD prunes; read at start")
    Path configFile;

    @Option(names = "--lease-name", defaultValue = HostOptions.DEFAULT_LEASE_NAME, description = "leader Lease name")
    String leaseName;

    @Option(names = "--lease-namespace", description = "leader Lease namespace (default: $POD_NAMESPACE or kube-system)")
    String leaseNamespace;

    @Option(names = "--identity", description = "this replica's identity in the Lease (default: $POD_NAME or host name)")
    String identity;

    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Map<String, String> env = System.getenv();
        HostOptions options = HostOptions.defaults(env, identity != null ? identity : defaultIdentity(env))
                .withHealth(healthAddress, healthPort)
                .withModes(dryRun, standalone);
        if (configFile != null) {
            try {
                options = options.withFileSpec(SpecFile.read(configFile));
            } catch (FatalConfigException e) {
                log.error("cannot run: {}", e.getMessage());
                return 1;
            }
        }
        if (leaseNamespace != null) {
            options = options.withLease(leaseNamespace, leaseName, options.leaseDuration(), options.renewDeadline(),
                    options.retryPeriod());
        } else if (!leaseName.equals(HostOptions.DEFAULT_LEASE_NAME)) {
            options = options.withLease(options.leaseNamespace(), leaseName, options.leaseDuration(),
                    options.renewDeadline(), options.retryPeriod());
        }
        ApiClient client;
        ApiClient informerClient;
        try {
            client = apiClient();
            informerClient = apiClient();
        } catch (IOException | RuntimeException e) {
            log.error("cannot run: no usable Kubernetes client configuration ({}); pass --kubeconfig or run in a pod",
                    e.getMessage());
            return 1;
        }
        client.setReadTimeout((int) Duration.ofSeconds(30).toMillis());
        CountDownLatch stopped = new CountDownLatch(1);
        Host host = new Host(options, client, informerClient, Host.discoverPlugins(), () -> System.exit(1));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            host.close();
            stopped.countDown();
        }, "shutdown"));
        try {
            host.start();
        } catch (HostStartException e) {
            log.error("{}", e.getMessage());
            return 1;
        }
        stopped.await();
        return 0;
    }

    private ApiClient apiClient() throws IOException {
        if (kubeconfig == null) {
            return ClientBuilder.standard().build();
        }
        try (Reader reader = Files.newBufferedReader(kubeconfig)) {
            KubeConfig config = KubeConfig.loadKubeConfig(reader);
            config.setFile(kubeconfig.toFile());
            return ClientBuilder.kubeconfig(config).build();
        }
    }

    private static String defaultIdentity(Map<String, String> env) {
        if (env.containsKey("POD_NAME")) {
            return env.get("POD_NAME");
        }
        try {
            return InetAddress.getLocalHost().getHostName() + "-" + ProcessHandle.current().pid();
        } catch (IOException e) {
            return "kube-controllers-" + ProcessHandle.current().pid();
        }
    }
}
