package dev.calicorr.core.etcd;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.calicorr.core.config.EtcdSettings;
import dev.calicorr.core.kube.ApiUnavailableException;
import dev.calicorr.core.kube.ConfigurationStore;
import dev.calicorr.core.kube.KubeControllersConfiguration;
import dev.calicorr.core.kube.UnreadableConfigurationException;
import dev.calicorr.core.plugin.ControllerContext;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.util.generic.KubernetesApiResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code KubeControllersConfiguration/default} in Calico's etcd ({@code DATASTORE_TYPE=etcdv3}),
 * under {@value #KEY}, where upstream kube-controllers reads it in that mode: read, watched from the
 * read revision, created when missing (standalone only), and the effective configuration written
 * back into it, each write conditional on the mod revision read. A value that does not decode is
 * reported and left as it is.
 */
public final class EtcdConfigurationStore implements ConfigurationStore {
    public static final String KEY = EtcdKeys.ROOT + KubeControllersConfiguration.PLURAL + "/"
            + KubeControllersConfiguration.DEFAULT_NAME;
    private static final Logger log = LoggerFactory.getLogger(EtcdConfigurationStore.class);

    private final EtcdSettings settings;
    private final boolean standalone;
    private final Client client;
    private final EtcdKv kv;
    private final ScheduledExecutorService scheduler;
    private volatile EtcdWatch watch;

    public EtcdConfigurationStore(EtcdSettings settings, boolean standalone) {
        this.settings = settings;
        this.standalone = standalone;
        this.client = EtcdClients.connect(settings);
        this.kv = new EtcdKv(client);
        this.scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "etcd-config-watch");
            thread.setDaemon(true);
            return thread;
        });
    }

    @Override
    public String where() {
        return "etcd at " + settings.endpoints() + " (key " + KEY + ")";
    }

    /**
     * The stored value as our type, its mod revision as the resource version.
     *
     * @throws UnreadableConfigurationException naming the key and what is wrong
     */
    static KubeControllersConfiguration decode(String value, long modRevision) throws UnreadableConfigurationException {
        JsonElement parsed;
        try {
            parsed = JsonParser.parseString(value);
        } catch (JsonParseException e) {
            throw unreadable(modRevision, "not JSON (" + reason(e) + ")", e);
        }
        if (!parsed.isJsonObject()) {
            throw unreadable(modRevision, "not a JSON object", null);
        }
        KubeControllersConfiguration decoded;
        try {
            decoded = EtcdValues.GSON.fromJson(parsed, KubeControllersConfiguration.class);
        } catch (JsonParseException e) {
            throw unreadable(modRevision, "its fields do not decode (" + reason(e) + ")", e);
        }
        if (decoded.getMetadata() == null
                || !KubeControllersConfiguration.DEFAULT_NAME.equals(decoded.getMetadata().getName())) {
            throw unreadable(modRevision, "metadata.name is not " + KubeControllersConfiguration.DEFAULT_NAME, null);
        }
        decoded.getMetadata().setResourceVersion(Long.toString(modRevision));
        return decoded;
    }

    private static UnreadableConfigurationException unreadable(long modRevision, String problem, Throwable cause) {
        return new UnreadableConfigurationException(KEY + " (mod revision " + modRevision
                + ") holds no KubeControllersConfiguration: " + problem + "; it is left as it is", cause);
    }

    /** Gson's reason without its advice to parse leniently. */
    private static String reason(JsonParseException e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        String message = String.valueOf(root.getMessage()).lines().findFirst().orElse("");
        return message.replace("Use JsonReader.setStrictness(Strictness.LENIENT) to accept malformed JSON ", "");
    }

    private static KubeControllersConfiguration decode(KeyValue value) throws UnreadableConfigurationException {
        return decode(value.getValue().toString(StandardCharsets.UTF_8), value.getModRevision());
    }

    private KubeControllersConfiguration decode(JsonObject json, long modRevision) {
        KubeControllersConfiguration decoded = EtcdValues.GSON.fromJson(json, KubeControllersConfiguration.class);
        decoded.getMetadata().setResourceVersion(Long.toString(modRevision));
        return decoded;
    }

    @Override
    public KubeControllersConfiguration load(Map<String, Object> defaultSpec, boolean create)
            throws ApiUnavailableException, UnreadableConfigurationException {
        Optional<KeyValue> found;
        try {
            found = kv.get(KEY);
        } catch (EtcdKv.CallFailedException e) {
            throw new ApiUnavailableException(e.getMessage(), e);
        }
        if (found.isPresent()) {
            return decode(found.get());
        }
        KubeControllersConfiguration fresh = new KubeControllersConfiguration(
                new V1ObjectMeta().name(KubeControllersConfiguration.DEFAULT_NAME), defaultSpec);
        if (!create) {
            return fresh;
        }
        KubernetesApiResponse<KubeControllersConfiguration> created = kv.create(KEY, EtcdValues.encode(fresh),
                this::decode);
        if (created.isSuccess()) {
            log.info("created KubeControllersConfiguration/default at {} with defaults reason=missing", KEY);
            return created.getObject();
        }
        if (created.getHttpStatusCode() == 409) {
            return load(defaultSpec, create); // another replica created it meanwhile
        }
        throw new ApiUnavailableException("creating " + KEY + ": " + created.getStatus().getMessage(), null);
    }

    @Override
    public synchronized void watch(ControllerContext context, Listener listener) {
        if (watch != null) {
            throw new IllegalStateException("watched already");
        }
        // the key as the prefix: only keys that begin with `default` come, and only `default` counts
        watch = new EtcdWatch(client, KEY, new Sink(listener), () -> { }, scheduler);
        watch.start();
    }

    /** Hands the one key's changes to the listener; on the watch's thread. */
    private static final class Sink implements EtcdWatch.Sink {
        private final Listener listener;
        private boolean present;

        Sink(Listener listener) {
            this.listener = listener;
        }

        @Override
        public void replace(List<KeyValue> kvs) {
            Optional<KeyValue> value = kvs.stream().filter(Sink::isDefault).findFirst();
            if (value.isPresent()) {
                stored(value.get());
            } else if (present) {
                removed(KEY);
            }
        }

        @Override
        public void stored(KeyValue value) {
            if (!isDefault(value)) {
                return;
            }
            present = true;
            try {
                listener.changed(decode(value));
            } catch (UnreadableConfigurationException e) {
                listener.unreadable(e.getMessage());
            }
        }

        @Override
        public void removed(String key) {
            if (KEY.equals(key)) {
                present = false;
                listener.deleted();
            }
        }

        private static boolean isDefault(KeyValue value) {
            return KEY.equals(value.getKey().toString(StandardCharsets.UTF_8));
        }
    }

    @Override
    public boolean watchSynced() {
        EtcdWatch current = watch;
        return current != null && current.hasSynced();
    }

    /**
     * Always, in etcd: every client of Calico's (calico-kube-controllers writing its status,
     * calicoctl) decodes the value into its Go types and drops our section, and unlike the
     * Kubernetes datastore it leaves no trace of doing so; a write straight into etcd keeps the
     * section. So a section missing from the value is written back; an empty section ({@code {}})
     * asks for the defaults.
     */
    @Override
    public boolean droppedByCalicoClient(KubeControllersConfiguration configuration) {
        return true;
    }

    /**
     * The spec's digest: libcalico-go keeps no {@code metadata.generation} in etcd, and the mod
     * revision also moves with annotation and status writes.
     */
    @Override
    public String edit(KubeControllersConfiguration configuration) {
        return specDigest(configuration);
    }

    static String specDigest(KubeControllersConfiguration configuration) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(EtcdValues.GSON.toJson(configuration.getSpec())
                    .getBytes(StandardCharsets.UTF_8));
            return "spec sha256=" + HexFormat.of().formatHex(digest, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public boolean restoreSection(String controller, Map<String, Object> section) throws ApiUnavailableException {
        JsonObject patch = EtcdValues.GSON.toJsonTree(Map.of("spec", Map.of("controllers", Map.of(controller,
                ConfigurationStore.asWritten(section))))).getAsJsonObject();
        KubernetesApiResponse<KubeControllersConfiguration> response = update("restoring spec.controllers."
                + controller, json -> EtcdValues.mergePatch(json, patch).getAsJsonObject());
        if (!response.isSuccess()) {
            log.warn("could not restore spec.controllers.{} of {}: {} {} (tried again on the next change of the "
                    + "value)", controller, KEY, response.getHttpStatusCode(), response.getStatus().getMessage());
        }
        return response.isSuccess();
    }

    /** etcd stores the value as it is written: nothing is dropped. */
    @Override
    public Optional<Set<String>> prunedFields(String controller, Map<String, Object> probe) {
        return Optional.of(Set.of());
    }

    @Override
    public boolean reportRunningConfig(KubeControllersConfiguration current, Map<String, Object> runningConfig,
            Map<String, String> environmentVars) throws ApiUnavailableException {
        if (standalone) {
            Map<String, Object> status = new LinkedHashMap<>();
            status.put("runningConfig", runningConfig);
            if (!environmentVars.isEmpty()) {
                status.put("environmentVars", environmentVars);
            }
            // compared as JSON trees: decoded numbers are doubles, ours may be ints
            if (current.getStatus() != null && Objects.equals(EtcdValues.GSON.toJsonTree(current.getStatus()),
                    EtcdValues.GSON.toJsonTree(status))) {
                return false;
            }
            // the whole status, replaced: keys we no longer report go
            KubernetesApiResponse<KubeControllersConfiguration> response = update("writing status.runningConfig",
                    json -> {
                        json.add("status", EtcdValues.GSON.toJsonTree(status));
                        return json;
                    });
            if (!response.isSuccess()) {
                log.warn("could not write status.runningConfig of {}: {} {} (retried on the next change)", KEY,
                        response.getHttpStatusCode(), response.getStatus().getMessage());
                return false;
            }
            current.setStatus(status);
            return true;
        }
        return annotateRunningConfig(current, EtcdValues.GSON.toJson(runningConfig));
    }

    @Override
    public boolean annotate(String what, String key, String value) throws ApiUnavailableException {
        JsonObject patch = EtcdValues.GSON.toJsonTree(Map.of("metadata", Map.of("annotations", Map.of(key, value))))
                .getAsJsonObject();
        return update(what, json -> EtcdValues.mergePatch(json, patch).getAsJsonObject()).isSuccess();
    }

    /** A write conditional on the mod revision read; etcd not answering is an outage, as for the Kubernetes API. */
    private KubernetesApiResponse<KubeControllersConfiguration> update(String what, UnaryOperator<JsonObject> change)
            throws ApiUnavailableException {
        KubernetesApiResponse<KubeControllersConfiguration> response = kv.update(KEY, change, this::decode);
        if (response.getHttpStatusCode() >= 500) {
            throw new ApiUnavailableException(what + ": " + response.getStatus().getMessage(), null);
        }
        return response;
    }

    @Override
    public void close() {
        if (watch != null) {
            watch.close();
        }
        scheduler.shutdown();
        try {
            scheduler.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        client.close();
    }
}
