package dev.calicorr.core.runtime;

import dev.calicorr.core.config.EtcdSettings;
import dev.calicorr.core.config.FatalConfigException;
import dev.calicorr.core.config.HostConfig;
import dev.calicorr.core.config.HostConfigParser;
import dev.calicorr.core.config.InvalidConfigException;
import dev.calicorr.core.etcd.EtcdConfigurationStore;
import dev.calicorr.core.health.HealthServer;
import dev.calicorr.core.kube.ApiUnavailableException;
import dev.calicorr.core.kube.CalicoApi;
import dev.calicorr.core.kube.ConfigurationStore;
import dev.calicorr.core.kube.KddConfigurationStore;
import dev.calicorr.core.kube.KubeControllersConfiguration;
import dev.calicorr.core.kube.MissingCrdException;
import dev.calicorr.core.kube.RetryAfter;
import dev.calicorr.core.kube.UnreadableConfigurationException;
import dev.calicorr.core.logging.LogLevels;
import dev.calicorr.core.metrics.HostMetrics;
import dev.calicorr.core.plugin.ControllerContext;
import dev.calicorr.core.plugin.ControllerPlugin;
import dev.calicorr.core.plugin.ParsedConfig;
import io.kubernetes.client.common.KubernetesListObject;
import io.kubernetes.client.common.KubernetesObject;
import io.kubernetes.client.extended.event.EventType;
import io.kubernetes.client.extended.event.legacy.EventRecorder;
import io.kubernetes.client.extended.event.legacy.LegacyEventBroadcaster;
import io.kubernetes.client.extended.leaderelection.LeaderElectionConfig;
import io.kubernetes.client.extended.leaderelection.LeaderElectionRecord;
import io.kubernetes.client.extended.leaderelection.LeaderElector;
import io.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import io.kubernetes.client.informer.SharedIndexInformer;
import io.kubernetes.client.informer.SharedInformerFactory;
import io.kubernetes.client.informer.TransformFunc;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1EventSource;
import io.kubernetes.client.util.generic.GenericKubernetesApi;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kube-controllers host (design §7): loads {@code KubeControllersConfiguration/default},
 * merges the environment, runs one {@link SharedInformerFactory} for every plugin, runs the
 * enabled controllers while it holds the leader Lease, serves health and metrics, and stops
 * cleanly. Informers run on every replica so a standby takes over with a warm cache.
 */
public final class Host implements AutoCloseable {
    public static final String COMPONENT = "calico-rr-controller";
    private static final Logger log = LoggerFactory.getLogger(Host.class);
    /** How long a clean stop tries to release the Lease (beyond the elector's own wait for its threads). */
    static final Duration LEASE_RELEASE_TIMEOUT = Duration.ofSeconds(5);

    private final HostOptions options;
    private final ApiClient apiClient;
    private final ApiClient informerClient;
    private final Map<String, ControllerPlugin<?>> plugins = new TreeMap<>();
    private final Runnable onLostLeadership;
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final HostMetrics metrics = new HostMetrics(registry);
    private final List<SharedIndexInformer<?>> informers = new CopyOnWriteArrayList<>();
    private final Map<String, PluginSlot<?>> slots = new TreeMap<>();
    private final ExecutorService configThread = Executors.newSingleThreadExecutor(daemon("config"));
    private ConfigurationStore store;
    private final Set<String> prunedSections = ConcurrentHashMap.newKeySet();
    /** Sections a write of Calico's own client dropped, kept and written back until the CR shows them again. */
    private final Set<String> restoring = ConcurrentHashMap.newKeySet();

    private SharedInformerFactory factory;
    private LegacyEventBroadcaster broadcaster;
    private EventRecorder events;
    private HealthServer health;
    private HTTPServer metricsServer;
    private LeaderElector elector;
    private FencedLeaseLock lock;
    private Thread electionThread;
    private volatile HostConfig hostConfig;
    private volatile KubeControllersConfiguration lastSeen;
    private volatile boolean leading;
    private volatile boolean closing;
    private String lastHostRejection; // on the config thread only

    /**
     * @param apiClient        for requests; keeps its timeouts
     * @param informerClient   for informers' watches; its read timeout is set to 0 (must not be apiClient)
     * @param plugins          every plugin this process has (see {@link #discoverPlugins()})
     * @param onLostLeadership called when the Lease is lost while running; production exits so the
     *                         pod restarts clean, as the elector never re-acquires
     */
    public Host(HostOptions options, ApiClient apiClient, ApiClient informerClient,
            List<ControllerPlugin<?>> plugins, Runnable onLostLeadership) {
        this.options = options;
        this.apiClient = apiClient;
        this.informerClient = informerClient;
        informerClient.setReadTimeout(0); // watches stay open; the informers' own timeouts end them
        RetryAfter.install(apiClient); // a throttled write waits as long as the apiserver asks
        this.onLostLeadership = onLostLeadership;
        plugins.forEach(plugin -> this.plugins.put(plugin.name(), plugin));
    }

    /** The plugins on the class path, found with {@link java.util.ServiceLoader}. */
    @SuppressWarnings("rawtypes")
    public static List<ControllerPlugin<?>> discoverPlugins() {
        List<ControllerPlugin<?>> found = new ArrayList<>();
        for (ControllerPlugin plugin : java.util.ServiceLoader.load(ControllerPlugin.class)) {
            found.add((ControllerPlugin<?>) plugin);
        }
        return found;
    }

    /** Starts everything; returns once informers are started and leader election runs. */
    public void start() throws HostStartException {
        checkEnvironment();
        // where upstream kube-controllers reads `default` in this datastore
        try {
            store = etcdSettings().<ConfigurationStore>map(etcd -> new EtcdConfigurationStore(etcd,
                    options.standalone())).orElseGet(() -> new KddConfigurationStore(apiClient, options.standalone()));
        } catch (IllegalStateException e) { // the etcd TLS files cannot be used
            throw new HostStartException("cannot run: " + e.getMessage(), e);
        }
        KubeControllersConfiguration initial = loadConfigurationWithRetry();
        lastSeen = initial;
        if (!ConfigurationStore.stored(initial)) {
            log.warn("KubeControllersConfiguration/default does not exist; running on its defaults, the environment "
                    + "and --config until it does ({})", options.dryRun() ? "a dry run creates nothing"
                    : "upstream kube-controllers creates it; --standalone creates it here");
        }
        try {
            hostConfig = HostConfigParser.parse(spec(initial), options.environment(), plugins.keySet());
        } catch (FatalConfigException e) {
            throw new HostStartException("cannot run: " + e.getMessage(), e);
        } catch (InvalidConfigException e) {
            // Only reachable with a CRD that does not validate these fields (ours and Calico's do).
            throw new HostStartException("cannot run with KubeControllersConfiguration/default: " + e.getMessage(), e);
        }
        LogLevels.apply(hostConfig.logLevel());

        broadcaster = EventsPerMessage.broadcaster(new CoreV1Api(apiClient));
        events = new DryRunAwareRecorder(broadcaster.newRecorder(new V1EventSource().component(COMPONENT)),
                options.dryRun());
        broadcaster.startRecording();
        factory = new SharedInformerFactory(informerClient);
        ControllerContext context = new Context();
        plugins.values().forEach(plugin -> slots.put(plugin.name(), new PluginSlot<>(plugin, context)));

        List<String> enabled = slots.keySet().stream().filter(hostConfig::enabled).toList();
        if (enabled.isEmpty()) {
            log.warn("no controller enabled: set ENABLED_CONTROLLERS (this process has: {}) or add a section "
                    + "under spec.controllers of KubeControllersConfiguration/default", plugins.keySet());
        }
        enabled.forEach(name -> checkSectionKept(name, initial, runningOnEnvironment()));
        applyControllerSections(initial);
        // changes of `default` come only now: the first ones above ran on this thread
        store.watch(context, new ConfigHandler());
        factory.startAllRegisteredInformers();
        startServers();
        startLeadership();
        log.info("host started identity={} controllers={} dryRun={} standalone={}", options.identity(), enabled,
                options.dryRun(), options.standalone());
    }

    private String runningOnEnvironment() {
        return "running on environment variables" + (options.fileSpec().isEmpty() ? "" : " and --config") + " instead";
    }

    /**
     * Refuses an environment the host cannot run with (an unknown name in ENABLED_CONTROLLERS, a
     * bad LOG_LEVEL) before anything is read or written.
     */
    private void checkEnvironment() throws HostStartException {
        try {
            HostConfigParser.parse(Map.of(), options.environment(), plugins.keySet());
        } catch (FatalConfigException e) {
            throw new HostStartException("cannot run: " + e.getMessage(), e);
        } catch (InvalidConfigException e) {
            throw new HostStartException("cannot run with this environment: " + e.getMessage(), e);
        }
    }

    private KubeControllersConfiguration loadConfigurationWithRetry() throws HostStartException {
        Instant deadline = Instant.now().plus(options.startupTimeout());
        Instant nextLog = Instant.EPOCH;
        List<String> enabledByEnv = enabledByEnvironment();
        while (true) {
            try {
                // beside upstream, upstream creates `default`; a dry run writes nothing at all
                return store.load(HostConfigParser.defaultSpec(enabledByEnv), options.standalone() && !options.dryRun());
            } catch (MissingCrdException | UnreadableConfigurationException e) {
                throw new HostStartException("cannot run: " + e.getMessage(), e);
            } catch (ApiUnavailableException e) {
                if (Instant.now().isAfter(deadline)) {
                    throw new HostStartException("cannot run: no answer from " + store.where() + " within "
                            + options.startupTimeout() + ": " + e.getMessage(), e);
                }
                if (Instant.now().isAfter(nextLog)) {
                    log.warn("waiting for {}: {}", store.where(), e.getMessage());
                    nextLog = Instant.now().plusSeconds(10);
                }
                sleep(Duration.ofSeconds(1));
            }
        }
    }

    private List<String> enabledByEnvironment() {
        String text = options.environment().get(HostConfigParser.ENV_ENABLED_CONTROLLERS);
        return text == null ? List.of()
                : HostConfigParser.commaList(text).stream().filter(plugins::containsKey).sorted().toList();
    }

    /** Offers each enabled plugin its section; runs on the config thread after start. */
    private void applyControllerSections(KubeControllersConfiguration configuration) {
        boolean changed = false;
        for (PluginSlot<?> slot : slots.values()) {
            if (!hostConfig.enabled(slot.name())) {
                changed |= slot.disable(); // a controller created earlier stops changing the cluster
                continue;
            }
            try {
                changed |= slot.offer(hostConfig.section(slot.name()), options.environment());
            } catch (InvalidConfigException e) {
                reject(slot, configuration, e);
            }
            if (leading) {
                factory.startAllRegisteredInformers(); // informers of a controller created just now
                slot.run();
            }
        }
        if (changed && leading) {
            reportRunningConfig();
        }
    }

    /**
     * Tells the operator when the installed CRD drops (part of) a controller's section: edits there
     * would vanish silently, and the controller runs on the environment and {@code --config} instead.
     *
     * @return whether the CRD drops fields of the section (false when that could not be checked)
     */
    private boolean checkSectionKept(String controller, KubeControllersConfiguration configuration,
            String meanwhile) {
        if (!ConfigurationStore.stored(configuration)) {
            return false; // nothing to probe yet: checked when `default` appears
        }
        Map<String, Object> probe;
        try {
            probe = plugins.get(controller).parseConfig(null, Map.of()).effective();
        } catch (InvalidConfigException e) {
            throw new IllegalStateException("defaults of " + controller + " do not parse", e);
        }
        Optional<Set<String>> pruned;
        try {
            pruned = store.prunedFields(controller, probe);
        } catch (ApiUnavailableException e) {
            log.warn("could not check whether the CRD keeps spec.controllers.{}: {}", controller, e.getMessage());
            return false;
        }
        boolean dropped = pruned.map(fields -> !fields.isEmpty()).orElse(false);
        metrics.sectionPruned(controller, dropped);
        if (!dropped) {
            prunedSections.remove(controller);
            return false;
        }
        if (!prunedSections.add(controller)) {
            return true; // said once already
        }
        String what = pruned.get().size() == probe.size() ? "spec.controllers." + controller
                : "spec.controllers." + controller + " fields " + String.join(", ", new TreeSet<>(pruned.get()));
        String message = "the installed KubeControllersConfiguration CRD drops " + what + ", so edits there are "
                + "lost; " + meanwhile + ". Add the section to the CRD: kubectl patch crd " + CalicoApi.crdName(
                        KubeControllersConfiguration.PLURAL) + " --type json --patch-file "
                + "deploy/crds/routereflector-section.yaml (see docs/install.md)";
        log.error("controller={} reason=crd-prunes-section {}", controller, message);
        events.event(configuration, EventType.Warning, "ConfigurationSectionPruned", "%s", message);
        return true;
    }

    /**
     * A section that vanishes from the CR is most often not an edit: Calico's own client rewrote
     * the object (calico-kube-controllers does on every start and whenever its status changes; it
     * does not know our section), or a CRD was re-applied without it (a Calico upgrade, an operator
     * reverting edits). Then the controllers keep the section they had instead of falling back to
     * defaults and reshaping the topology; after Calico's client, the leader also writes it back.
     */
    private HostConfig keepSectionsTheCrdDropped(HostConfig parsed, KubeControllersConfiguration configuration) {
        Map<String, Map<String, Object>> sections = new LinkedHashMap<>(parsed.controllerSections());
        boolean calicoClient = store.droppedByCalicoClient(configuration);
        for (String name : slots.keySet()) {
            Map<String, Object> before = hostConfig.section(name);
            if (parsed.section(name) != null) {
                restoring.remove(name);
            }
            // also when the section alone enables the controller: a pruned section must not disable it
            boolean enabledBySection = parsed.enabledControllers().isEmpty();
            boolean vanished = (parsed.enabled(name) || enabledBySection) && before != null
                    && parsed.section(name) == null;
            // until it is back: the next version (our own annotation, say) no longer shows whose write it was
            if (vanished && (calicoClient || restoring.contains(name))) {
                sections.put(name, before);
                restoring.add(name);
                restoreSection(name, before);
            } else if (vanished && checkSectionKept(name, configuration, "keeping the section the CR showed last")) {
                sections.put(name, before);
            }
        }
        return sections.equals(parsed.controllerSections()) ? parsed : new HostConfig(parsed.logLevel(),
                parsed.healthChecks(), parsed.metricsPort(), parsed.enabledControllers(), sections,
                parsed.environmentUsed());
    }

    private void restoreSection(String controller, Map<String, Object> section) {
        if (!leading || options.dryRun()) {
            log.info("controller={} reason=calico-client-rewrite spec.controllers.{} was dropped by a write of "
                    + "Calico's own client; keeping the section the CR showed last (the leader writes it back)",
                    controller, controller);
            return;
        }
        log.info("controller={} reason=calico-client-rewrite spec.controllers.{} was dropped by a write of Calico's "
                + "own client (calico-kube-controllers, calicoctl), which does not know it; writing back the section "
                + "the CR showed last", controller, controller);
        try {
            store.restoreSection(controller, section);
        } catch (ApiUnavailableException e) {
            log.warn("could not restore spec.controllers.{}: {} (tried again on the next change of the object)",
                    controller, e.getMessage());
        }
    }

    private void reject(PluginSlot<?> slot, KubeControllersConfiguration configuration, InvalidConfigException e) {
        if (!slot.firstRejection(edit(configuration) + e.getMessage())) {
            return;
        }
        metrics.configRejected(slot.name());
        String keeping = slot.hasController() ? "keeping the last good configuration"
                : "the controller waits for a valid configuration";
        log.error("controller={} rejected configuration field={} reason=\"{}\" {}; {}", slot.name(), e.field(),
                e.getMessage(), edit(configuration), keeping);
        events.event(configuration, EventType.Warning, "InvalidConfiguration", "%s",
                "Rejected " + e.getMessage() + " (" + edit(configuration) + "); " + keeping);
    }

    /** Which edit of the spec this is (see {@link ConfigurationStore#edit}). */
    private String edit(KubeControllersConfiguration configuration) {
        return store.edit(configuration);
    }

    private final class ConfigHandler implements ConfigurationStore.Listener {
        @Override
        public void changed(KubeControllersConfiguration configuration) {
            if (!closing) {
                onConfigThread(() -> onConfiguration(configuration));
            }
        }

        @Override
        public void deleted() {
            log.warn("KubeControllersConfiguration/default was deleted; controllers keep their last "
                    + "configuration (a restart recreates it with defaults)");
        }

        @Override
        public void unreadable(String problem) {
            if (!closing) {
                onConfigThread(() -> onUnreadable(problem));
            }
        }
    }

    /** A value that is no KubeControllersConfiguration at all: nothing changes, and nothing is written over it. */
    private void onUnreadable(String problem) {
        if (problem.equals(lastHostRejection)) {
            return;
        }
        lastHostRejection = problem;
        metrics.configRejected("host");
        log.error("rejected configuration reason=unreadable {}; keeping the last good configuration", problem);
        events.event(lastSeen, EventType.Warning, "InvalidConfiguration", "%s", "Rejected " + problem
                + "; keeping the last good configuration");
    }

    private void onConfiguration(KubeControllersConfiguration configuration) {
        boolean appeared = !ConfigurationStore.stored(lastSeen);
        lastSeen = configuration;
        HostConfig parsed;
        try {
            parsed = HostConfigParser.parse(spec(configuration), options.environment(), plugins.keySet());
        } catch (InvalidConfigException e) {
            String rejection = edit(configuration) + e.getMessage();
            if (!rejection.equals(lastHostRejection)) { // not again for our own annotation writes
                lastHostRejection = rejection;
                metrics.configRejected("host");
                log.error("rejected configuration field={} reason=\"{}\" {}; keeping the last good configuration",
                        e.field(), e.getMessage(), edit(configuration));
                events.event(configuration, EventType.Warning, "InvalidConfiguration", "%s", "Rejected "
                        + e.getMessage() + " (" + edit(configuration) + "); keeping the last good configuration");
            }
            return;
        }
        lastHostRejection = null;
        if (!parsed.logLevel().equals(hostConfig.logLevel())) {
            log.info("log level changed from {} to {}", hostConfig.logLevel(), parsed.logLevel());
            LogLevels.apply(parsed.logLevel());
        }
        if (parsed.metricsPort() != hostConfig.metricsPort()) {
            log.warn("prometheusMetricsPort changed from {} to {}: takes effect on restart",
                    hostConfig.metricsPort(), parsed.metricsPort());
        }
        hostConfig = keepSectionsTheCrdDropped(parsed, configuration);
        if (appeared) {
            log.info("KubeControllersConfiguration/default exists now; following it");
            slots.keySet().stream().filter(hostConfig::enabled)
                    .forEach(name -> checkSectionKept(name, configuration, runningOnEnvironment()));
        }
        applyControllerSections(configuration);
        if (leading) {
            reportRunningConfig(); // also repairs a status someone else rewrote
        }
    }

    private Map<String, Object> spec(KubeControllersConfiguration configuration) {
        return HostConfigParser.withFallback(configuration.getSpec(), options.fileSpec());
    }

    /** The merged effective configuration, as {@code status.runningConfig} shows it. */
    Map<String, Object> runningConfig() {
        Map<String, Object> running = new LinkedHashMap<>();
        Map<String, Object> spec = spec(lastSeen);
        running.put("logSeverityScreen", spec.getOrDefault("logSeverityScreen", HostConfigParser.DEFAULT_LOG_SEVERITY));
        running.put("healthChecks", hostConfig.healthChecks() ? "Enabled" : "Disabled");
        running.put("prometheusMetricsPort", hostConfig.metricsPort());
        Map<String, Object> controllers = new TreeMap<>();
        slots.values().forEach(slot -> {
            ParsedConfig<?> current = slot.current();
            if (current != null && hostConfig.enabled(slot.name())) {
                controllers.put(slot.name(), current.effective());
            }
        });
        running.put("controllers", controllers);
        return running;
    }

    private Map<String, String> environmentVars() {
        Map<String, String> used = new TreeMap<>(hostConfig.environmentUsed());
        slots.values().forEach(slot -> {
            ParsedConfig<?> current = slot.current();
            if (current != null && hostConfig.enabled(slot.name())) {
                used.putAll(current.environmentUsed());
            }
        });
        return used;
    }

    private void reportRunningConfig() {
        if (options.dryRun() || !ConfigurationStore.stored(lastSeen)) {
            return; // a dry run writes nothing; a missing `default` gets its report once it exists
        }
        try {
            if (store.reportRunningConfig(lastSeen, runningConfig(), environmentVars())) {
                log.debug("reported the effective configuration on KubeControllersConfiguration/default");
            }
        } catch (ApiUnavailableException e) {
            log.warn("could not report the effective configuration: {} (retried on the next change)", e.getMessage());
        }
    }

    private void startServers() throws HostStartException {
        try {
            health = new HealthServer(options.healthAddress(), options.healthPort(), this::livenessProblem,
                    this::readinessProblem);
            if (hostConfig.metricsPort() > 0) {
                metricsServer = HTTPServer.builder().port(hostConfig.metricsPort()).registry(registry).buildAndStart();
            }
        } catch (IOException e) {
            throw new HostStartException("cannot run: cannot listen for health or metrics: " + e.getMessage(), e);
        }
    }

    private void startLeadership() {
        if (options.dryRun()) {
            // Dry run writes nothing, not even a Lease: every replica plans and logs.
            becomeLeader();
            return;
        }
        lock = new FencedLeaseLock(new LeaseLock(options.leaseNamespace(), options.leaseName(), options.identity(),
                apiClient), options.renewDeadline());
        elector = new LeaderElector(new LeaderElectionConfig(lock, options.leaseDuration(), options.renewDeadline(),
                options.retryPeriod()), e -> log.warn("leader election: {}", e.toString()));
        electionThread = new Thread(() -> elector.run(this::becomeLeader, this::stopLeading), "leader-election");
        electionThread.setDaemon(true);
        electionThread.start();
        logCurrentHolder();
    }

    /** A second replica (or a second install with the same Lease) says at once why it does nothing. */
    private void logCurrentHolder() {
        try {
            LeaderElectionRecord record = lock.get();
            String holder = record == null ? null : record.getHolderIdentity();
            if (holder != null && !holder.isEmpty() && !holder.equals(options.identity())) {
                log.info("standby identity={}: the leader Lease {}/{} is held by {}; this replica takes over when "
                        + "that one stops renewing it", options.identity(), options.leaseNamespace(),
                        options.leaseName(), holder);
            }
        } catch (Exception e) {
            log.debug("could not read the leader Lease: {}", e.toString());
        }
    }

    private void becomeLeader() {
        onConfigThread(() -> {
            if (closing) {
                return;
            }
            leading = true;
            metrics.leader(true);
            if (options.dryRun()) {
                log.info("dry run identity={}: no leader election, no writes; starting controllers to plan",
                        options.identity());
            } else {
                log.info("became leader identity={} lease={}/{}; starting controllers", options.identity(),
                        options.leaseNamespace(), options.leaseName());
            }
            // informers of a controller created while standing by (its first valid configuration came then)
            factory.startAllRegisteredInformers();
            slots.values().forEach(PluginSlot::run);
            reportRunningConfig();
        });
    }

    private void stopLeading() {
        boolean wasLeading = leading;
        leading = false;
        metrics.leader(false);
        if (closing) {
            return;
        }
        log.error("lost the leader Lease {}/{} (wasLeading={}); stopping controllers and exiting so a fresh "
                + "process can rejoin the election", options.leaseNamespace(), options.leaseName(), wasLeading);
        slots.values().forEach(PluginSlot::stop);
        onLostLeadership.run();
    }

    /** Config changes and leadership run on one thread, so they never interleave. */
    private void onConfigThread(Runnable task) {
        try {
            configThread.execute(task);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            if (!closing) {
                throw e;
            } // shutting down: late events are dropped
        }
    }

    public boolean isLeader() {
        return leading;
    }

    /** The port {@code /healthz} and {@code /readyz} listen on. */
    public int healthPort() {
        return health.port();
    }

    /** The port of {@code /metrics}, or -1 when metrics are off. */
    public int metricsPort() {
        return metricsServer == null ? -1 : metricsServer.getPort();
    }

    public PrometheusRegistry registry() {
        return registry;
    }

    private String livenessProblem() {
        if (!options.dryRun() && electionThread != null && !electionThread.isAlive() && !closing) {
            return "leader election stopped";
        }
        for (PluginSlot<?> slot : slots.values()) {
            if (!slot.alive()) {
                return "controller " + slot.name() + " stopped";
            }
        }
        return null;
    }

    private String readinessProblem() {
        if (!store.watchSynced()) {
            return "the watch of KubeControllersConfiguration/default in " + store.where() + " not synced yet";
        }
        long unsynced = informers.stream().filter(informer -> !informer.hasSynced()).count();
        return unsynced == 0 ? null : unsynced + " informer cache(s) not synced yet";
    }

    @Override
    public void close() {
        if (closing) {
            return;
        }
        closing = true;
        log.info("shutting down identity={}", options.identity());
        slots.values().forEach(PluginSlot::stop);
        if (elector != null) {
            handOverLease();
        }
        leading = false;
        metrics.leader(false);
        if (factory != null) {
            factory.stopAllRegisteredInformers();
        }
        if (broadcaster != null) {
            broadcaster.shutdown();
        }
        if (health != null) {
            health.close();
        }
        if (metricsServer != null) {
            metricsServer.close();
        }
        configThread.shutdownNow();
        try {
            configThread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (store != null) {
            store.close();
        }
    }

    /**
     * Stops the elector and releases the Lease, within a bound: an apiserver that does not answer
     * (a partition, a blackholed address) must not hold the process beyond its termination grace
     * period. The elector itself waits up to 3 retry periods for its threads.
     */
    private void handOverLease() {
        Duration bound = options.retryPeriod().multipliedBy(3).plus(LEASE_RELEASE_TIMEOUT);
        Thread release = new Thread(() -> {
            elector.close();
            releaseLease();
        }, "lease-release");
        release.setDaemon(true);
        release.start();
        try {
            release.join(bound.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (release.isAlive()) {
            release.interrupt();
            log.warn("could not release the leader Lease {}/{} within {} s: no answer from the Kubernetes API; the "
                    + "next leader takes over once it expires", options.leaseNamespace(), options.leaseName(),
                    bound.toSeconds());
        }
    }

    /** Hands the Lease over at once instead of making the next leader wait out its duration. */
    private void releaseLease() {
        try {
            LeaderElectionRecord record = lock.get();
            if (record != null && options.identity().equals(record.getHolderIdentity())) {
                Date now = new Date();
                lock.update(new LeaderElectionRecord("", 1, now, now, record.getLeaderTransitions()));
                log.info("released the leader Lease {}/{}", options.leaseNamespace(), options.leaseName());
            }
        } catch (Exception e) {
            log.warn("could not release the leader Lease (the next leader waits for it to expire): {}", e.toString());
        }
    }

    private final class Context implements ControllerContext {
        @Override
        public ApiClient apiClient() {
            return apiClient;
        }

        @Override
        public SharedInformerFactory informerFactory() {
            return factory;
        }

        @Override
        public <T extends KubernetesObject, L extends KubernetesListObject> SharedIndexInformer<T> informer(
                Function<ApiClient, GenericKubernetesApi<T, L>> api, Class<T> type, Duration resync,
                TransformFunc transform) {
            SharedIndexInformer<T> existing = factory.getExistingSharedIndexInformer(type);
            if (existing != null) {
                return existing;
            }
            SharedIndexInformer<T> informer = factory.sharedIndexInformerFor(
                    new PagedListerWatcher<>(api.apply(informerClient), transform), type, resync.toMillis(),
                    new InformerErrors<>());
            if (transform != null) {
                informer.setTransform(transform);
            }
            informers.add(informer);
            return informer;
        }

        @Override
        public EventRecorder events() {
            return events;
        }

        @Override
        public PrometheusRegistry metrics() {
            return registry;
        }

        @Override
        public Optional<EtcdSettings> etcd() {
            return etcdSettings();
        }

        @Override
        public boolean annotateConfiguration(String what, String key, String value) throws ApiUnavailableException {
            return store.annotate(what, key, value);
        }

        @Override
        public boolean dryRun() {
            return options.dryRun();
        }

        @Override
        public boolean mayWrite() {
            if (closing || !leading) {
                return false;
            }
            if (lock != null && !lock.holds()) {
                log.warn("this replica last renewed the leader Lease {}/{} {} ms ago, beyond the renew deadline of "
                        + "{} ms: no more writes from it", options.leaseNamespace(), options.leaseName(),
                        lock.sinceLastRenew().toMillis(), options.renewDeadline().toMillis());
                return false;
            }
            return true;
        }
    }

    private Optional<EtcdSettings> etcdSettings() {
        try {
            return EtcdSettings.fromEnvironment(options.environment());
        } catch (FatalConfigException e) {
            throw new IllegalStateException("checked at start: " + e.getMessage(), e);
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }

    private static void sleep(Duration duration) throws HostStartException {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HostStartException("interrupted while starting", e);
        }
    }
}
