package dev.calicorr.core.kube;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.calicorr.core.plugin.ControllerContext;
import io.kubernetes.client.custom.V1Patch;
import io.kubernetes.client.informer.ResourceEventHandler;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CustomObjectsApi;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.util.PatchUtils;
import io.kubernetes.client.util.generic.GenericKubernetesApi;
import io.kubernetes.client.util.generic.KubernetesApiResponse;
import io.kubernetes.client.util.generic.options.PatchOptions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code KubeControllersConfiguration/default} as a CR of the Kubernetes API (the Kubernetes
 * datastore): read, watched by an informer of the host, created when missing (standalone only),
 * and the effective configuration reported back into it.
 */
public final class KddConfigurationStore implements ConfigurationStore {
    /** Where Calico's own client (libcalico-go) moves the metadata it does not own when it writes an object. */
    static final String CALICO_METADATA_ANNOTATION = "projectcalico.org/metadata";
    private static final Logger log = LoggerFactory.getLogger(KddConfigurationStore.class);

    private final GenericKubernetesApi<KubeControllersConfiguration, KubeControllersConfigurationList> api;
    private final Gson gson;
    private final CustomObjectsApi customObjects;
    private final boolean standalone;
    private final String basePath;

    public KddConfigurationStore(ApiClient client, boolean standalone) {
        this.api = ConfigurationStore.api(client);
        this.gson = client.getJSON().getGson();
        this.customObjects = new CustomObjectsApi(client);
        this.standalone = standalone;
        this.basePath = client.getBasePath();
    }

    @Override
    public String where() {
        return "the Kubernetes API at " + basePath;
    }

    @Override
    public KubeControllersConfiguration load(Map<String, Object> defaultSpec, boolean create)
            throws ApiUnavailableException, MissingCrdException {
        String what = "reading KubeControllersConfiguration/default";
        KubernetesApiResponse<KubeControllersConfiguration> got =
                Responses.call(what, () -> api.get(KubeControllersConfiguration.DEFAULT_NAME));
        if (got.isSuccess()) {
            return got.getObject();
        }
        if (got.getHttpStatusCode() != 404) {
            throw new ApiUnavailableException(what + ": " + got.getHttpStatusCode() + " " + Responses.message(got), null);
        }
        // 404 for the object or for the whole resource type: a list tells them apart.
        if (Responses.call(what, api::list).getHttpStatusCode() == 404) {
            throw new MissingCrdException(KubeControllersConfiguration.PLURAL);
        }
        KubeControllersConfiguration fresh = new KubeControllersConfiguration(
                new V1ObjectMeta().name(KubeControllersConfiguration.DEFAULT_NAME), defaultSpec);
        if (!create) {
            return fresh;
        }
        KubernetesApiResponse<KubeControllersConfiguration> created =
                Responses.call("creating KubeControllersConfiguration/default", () -> api.create(fresh));
        if (created.isSuccess()) {
            log.info("created KubeControllersConfiguration/default with defaults reason=missing");
            return created.getObject();
        }
        if (created.getHttpStatusCode() == 409) {
            return load(defaultSpec, create); // another replica created it meanwhile
        }
        throw new ApiUnavailableException("creating KubeControllersConfiguration/default: "
                + created.getHttpStatusCode() + " " + Responses.message(created), null);
    }

    @Override
    public void watch(ControllerContext context, Listener listener) {
        context.informer(ConfigurationStore::api, KubeControllersConfiguration.class, Duration.ZERO, null)
                .addEventHandler(new ResourceEventHandler<>() {
                    @Override
                    public void onAdd(KubeControllersConfiguration obj) {
                        if (isDefault(obj)) {
                            listener.changed(obj);
                        }
                    }

                    @Override
                    public void onUpdate(KubeControllersConfiguration oldObj, KubeControllersConfiguration newObj) {
                        if (isDefault(newObj)) {
                            listener.changed(newObj);
                        }
                    }

                    @Override
                    public void onDelete(KubeControllersConfiguration obj, boolean deletedFinalStateUnknown) {
                        if (isDefault(obj)) {
                            listener.deleted();
                        }
                    }
                });
    }

    private static boolean isDefault(KubeControllersConfiguration configuration) {
        return KubeControllersConfiguration.DEFAULT_NAME.equals(configuration.getMetadata().getName());
    }

    /** The informer is one of the host's: its readiness counts it. */
    @Override
    public boolean watchSynced() {
        return true;
    }

    /**
     * Every edit bumps {@code metadata.generation} (annotation and status writes do not), so each
     * rejected edit is reported, also one that leaves the same problem, and a re-read of the same
     * edit is not.
     */
    @Override
    public String edit(KubeControllersConfiguration configuration) {
        return "generation=" + configuration.getMetadata().getGeneration();
    }

    /** Seen in this version: see {@link #rewrittenByCalicoClient}. */
    @Override
    public boolean droppedByCalicoClient(KubeControllersConfiguration configuration) {
        return rewrittenByCalicoClient(configuration);
    }

    /**
     * Whether the last write of {@code configuration} came from Calico's own client (libcalico-go:
     * calico-kube-controllers writing its status, calicoctl). That client decodes the object into
     * its Go types, so it drops every section it does not know, ours included, and moves the
     * annotations it does not own into {@value #CALICO_METADATA_ANNOTATION}: our running-config
     * annotation is then there and no longer beside it.
     */
    public static boolean rewrittenByCalicoClient(KubeControllersConfiguration configuration) {
        Map<String, String> annotations = configuration.getMetadata().getAnnotations();
        if (annotations == null || annotations.containsKey(RUNNING_CONFIG_ANNOTATION)
                || !annotations.containsKey(CALICO_METADATA_ANNOTATION)) {
            return false;
        }
        try {
            JsonObject moved = JsonParser.parseString(annotations.get(CALICO_METADATA_ANNOTATION))
                    .getAsJsonObject().getAsJsonObject("annotations");
            return moved != null && moved.has(RUNNING_CONFIG_ANNOTATION);
        } catch (RuntimeException e) { // not libcalico-go's JSON: not its write
            return false;
        }
    }

    @Override
    public boolean restoreSection(String controller, Map<String, Object> section) throws ApiUnavailableException {
        String patch = gson.toJson(Map.of("spec", Map.of("controllers", Map.of(controller,
                ConfigurationStore.asWritten(section)))));
        KubernetesApiResponse<KubeControllersConfiguration> response = Responses.call("restoring spec.controllers."
                + controller, () -> api.patch(KubeControllersConfiguration.DEFAULT_NAME,
                        V1Patch.PATCH_FORMAT_JSON_MERGE_PATCH, new V1Patch(patch)));
        if (!response.isSuccess()) {
            log.warn("could not restore spec.controllers.{} of KubeControllersConfiguration/default: HTTP {} {} "
                    + "(tried again on the next change of the object)", controller, response.getHttpStatusCode(),
                    Responses.message(response));
        }
        return response.isSuccess();
    }

    /**
     * Asks the apiserver which fields of a controller's section it would drop: a server-side dry
     * run of a merge patch that sets every field of {@code probe}, compared with the object it
     * returns. Nothing is stored, so this is safe on every replica and in dry-run mode. Empty when
     * the apiserver refused the probe and nothing can be concluded.
     */
    @Override
    @SuppressWarnings("unchecked")
    public Optional<Set<String>> prunedFields(String controller, Map<String, Object> probe)
            throws ApiUnavailableException {
        String patch = gson.toJson(Map.of("spec", Map.of("controllers", Map.of(controller, probe))));
        PatchOptions dryRun = new PatchOptions();
        dryRun.setDryRun("All");
        KubernetesApiResponse<KubeControllersConfiguration> response = Responses.call("checking the CRD schema",
                () -> api.patch(KubeControllersConfiguration.DEFAULT_NAME, V1Patch.PATCH_FORMAT_JSON_MERGE_PATCH,
                        new V1Patch(patch), dryRun));
        if (!response.isSuccess()) {
            log.warn("could not check whether the CRD keeps spec.controllers.{}: HTTP {} {}", controller,
                    response.getHttpStatusCode(), Responses.message(response));
            return Optional.empty();
        }
        Map<String, Object> spec = response.getObject().getSpec();
        Object controllers = spec == null ? null : spec.get("controllers");
        Object kept = controllers instanceof Map<?, ?> map ? map.get(controller) : null;
        Set<String> pruned = new TreeSet<>(probe.keySet());
        if (kept instanceof Map<?, ?> section) {
            pruned.removeAll(((Map<String, Object>) section).keySet());
        }
        return Optional.of(pruned);
    }

    @Override
    public boolean reportRunningConfig(KubeControllersConfiguration current, Map<String, Object> runningConfig,
            Map<String, String> environmentVars) throws ApiUnavailableException {
        if (standalone) {
            return writeStatus(current, runningConfig, environmentVars);
        }
        return annotateRunningConfig(current, gson.toJson(runningConfig));
    }

    @Override
    public boolean annotate(String what, String key, String value) throws ApiUnavailableException {
        String patch = gson.toJson(Map.of("metadata", Map.of("annotations", Map.of(key, value))));
        return Responses.call(what, () -> api.patch(KubeControllersConfiguration.DEFAULT_NAME,
                V1Patch.PATCH_FORMAT_JSON_MERGE_PATCH, new V1Patch(patch))).isSuccess();
    }

    private boolean writeStatus(KubeControllersConfiguration current, Map<String, Object> runningConfig,
            Map<String, String> environmentVars) throws ApiUnavailableException {
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("runningConfig", runningConfig);
        if (!environmentVars.isEmpty()) {
            status.put("environmentVars", environmentVars);
        }
        // Compare as JSON trees: decoded numbers are doubles, ours may be ints.
        if (current.getStatus() != null && Objects.equals(gson.toJsonTree(current.getStatus()), gson.toJsonTree(status))) {
            return false;
        }
        // A JSON patch replaces the whole status: a merge patch would keep keys we no longer report.
        V1Patch patch = new V1Patch(gson.toJson(List.of(Map.of("op", "add", "path", "/status", "value", status))));
        int code = patchStatus(true, patch);
        if (code == 404) {
            // CRDs before Calico 3.32 have no status subresource: status is part of the object.
            code = patchStatus(false, patch);
        }
        if (code >= 300) {
            log.warn("could not write status.runningConfig of KubeControllersConfiguration/default: HTTP {} "
                    + "(retried on the next change)", code);
            return false;
        }
        current.setStatus(status);
        return true;
    }

    /** @return the HTTP status of a JSON patch of the object or of its status subresource */
    private int patchStatus(boolean subresource, V1Patch patch) throws ApiUnavailableException {
        String name = KubeControllersConfiguration.DEFAULT_NAME;
        try {
            PatchUtils.patch(KubeControllersConfiguration.class, () -> subresource
                    ? customObjects.patchClusterCustomObjectStatus(CalicoApi.GROUP, CalicoApi.VERSION,
                            KubeControllersConfiguration.PLURAL, name, patch).buildCall(null)
                    : customObjects.patchClusterCustomObject(CalicoApi.GROUP, CalicoApi.VERSION,
                            KubeControllersConfiguration.PLURAL, name, patch).buildCall(null),
                    V1Patch.PATCH_FORMAT_JSON_PATCH, customObjects.getApiClient());
            return 200;
        } catch (ApiException e) {
            if (e.getCode() == 0 || e.getCode() >= 500) {
                throw new ApiUnavailableException("writing status: " + e.getMessage(), e);
            }
            return e.getCode();
        }
    }

    /** Nothing to release: the informer is the host's. */
    @Override
    public void close() {
    }
}
