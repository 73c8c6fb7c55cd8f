package dev.calicorr.core;

import dev.calicorr.core.config.FatalConfigException;
import dev.calicorr.core.config.SpecFile;
import dev.calicorr.core.kube.KubeClients;
import dev.calicorr.core.logging.LogLevels;
import dev.calicorr.core.plugin.ControllerPlugin;
import dev.calicorr.core.runtime.Host;
import dev.calicorr.core.runtime.HostOptions;
import dev.calicorr.core.runtime.HostStartException;
import io.kubernetes.client.openapi.ApiClient;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code kube-controllers}: runs the host with the plugins on the class path until SIGTERM; the
 * plugins' own subcommands (see {@link ControllerPlugin#commands()}) run instead when named.
 */
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
        System.exit(commandLine(Host.discoverPlugins()).execute(args));
    }

    /**
     * The command line of the runnable jar: the host, plus every plugin's subcommands. A subcommand
     * runs with the log on standard error, its standard output being its result.
     */
    public static CommandLine commandLine(List<ControllerPlugin<?>> plugins) {
        CommandLine cli = new CommandLine(new Main());
        for (ControllerPlugin<?> plugin : plugins) {
            for (Object command : plugin.commands()) {
                CommandLine sub = command instanceof CommandLine given ? given : new CommandLine(command);
                String name = sub.getCommandName();
                if (cli.getSubcommands().containsKey(name)) {
                    log.warn("plugin {} adds a command '{}' that exists already; skipped", plugin.name(), name);
                    continue;
                }
                cli.addSubcommand(name, sub);
            }
        }
        CommandLine.IExecutionStrategy runLast = new CommandLine.RunLast();
        cli.setExecutionStrategy(parsed -> {
            if (parsed.subcommand() != null) {
                LogLevels.toStandardError();
            }
            return runLast.execute(parsed);
        });
        return cli;
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
            client = KubeClients.create(kubeconfig);
            informerClient = KubeClients.create(kubeconfig);
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
