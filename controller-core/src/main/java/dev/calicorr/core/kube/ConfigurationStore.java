package dev.calicorr.core.kube;

import dev.calicorr.core.plugin.ControllerContext;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.util.generic.GenericKubernetesApi;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Where {@code KubeControllersConfiguration/default} lives and how the host reads, watches and
 * writes it: as a CR of the Kubernetes API ({@link KddConfigurationStore}, the Kubernetes datastore)
 * or under its libcalico-go key in Calico's etcd ({@link dev.calicorr.core.etcd.EtcdConfigurationStore},
 * {@code DATASTORE_TYPE=etcdv3}), where upstream kube-controllers reads it in each mode. Chosen at
 * start. Writes never replace what another writer stored meanwhile.
 */
public interface ConfigurationStore extends AutoCloseable {
    /** Where the effective config goes when we run beside upstream kube-controllers. */
    String RUNNING_CONFIG_ANNOTATION = "calico-rr-controller/running-config";

    /** The typed client of the CR in the Kubernetes datastore. */
    static GenericKubernetesApi<KubeControllersConfiguration, KubeControllersConfigurationList> api(ApiClient client) {
        return CalicoApi.api(KubeControllersConfiguration.class, KubeControllersConfigurationList.class,
                KubeControllersConfiguration.PLURAL, client);
    }

    /** Whether this object is stored (not a stand-in from {@link #load}). */
    static boolean stored(KubeControllersConfiguration configuration) {
        return configuration.getMetadata().getResourceVersion() != null;
    }

    /**
     * A section as read, to be written back: JSON decodes every number as a double, and a CRD that
     * declares a field an integer refuses {@code 4.0}, so whole numbers go back as integers.
     */
    @SuppressWarnings("unchecked")
    static Object asWritten(Object value) {
        if (value instanceof Double number && number == Math.rint(number) && Math.abs(number) < 1e15) {
            return number.longValue();
        }
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> copy = new java.util.LinkedHashMap<>();
            ((Map<String, Object>) map).forEach((key, item) -> copy.put(key, asWritten(item)));
            return copy;
        }
        if (value instanceof java.util.List<?> list) {
            return list.stream().map(ConfigurationStore::asWritten).toList();
        }
        return value;
    }

    /** What the store reports from its watch of {@code default}; called from one thread at a time. */
    interface Listener {
        void changed(KubeControllersConfiguration configuration);

        void deleted();

        /** {@code default} holds something that is not a KubeControllersConfiguration; it is left as it is. */
        void unreadable(String problem);
    }

    /** Where {@code default} is, for messages: {@code the Kubernetes API at https://...}. */
    String where();

    /**
     * Returns {@code default}. When it does not exist it is created with {@code defaultSpec} only if
     * {@code create} (a standalone host that may write); otherwise the result is an object that is
     * not stored (no resourceVersion) with that spec: beside upstream kube-controllers, upstream
     * creates {@code default}, and the watch brings it when it does.
     *
     * @throws UnreadableConfigurationException when {@code default} holds no KubeControllersConfiguration
     */
    KubeControllersConfiguration load(Map<String, Object> defaultSpec, boolean create)
            throws ApiUnavailableException, MissingCrdException, UnreadableConfigurationException;

    /** Starts watching {@code default}; a KDD store registers its informer with the host's {@code context}. */
    void watch(ControllerContext context, Listener listener);

    /** Whether the watch has its first view (a KDD store's informer is one of the host's and counts there). */
    boolean watchSynced();

    /**
     * Whether a section missing from this version of {@code default} was dropped by a write of
     * Calico's own client (libcalico-go: calico-kube-controllers writing its status, calicoctl),
     * which decodes the object into its Go types and so drops every section it does not know.
     */
    boolean droppedByCalicoClient(KubeControllersConfiguration configuration);

    /**
     * Which edit of the spec this version carries, for messages and to report each rejected edit
     * once: the same for writes that leave the spec as it is (annotations, status).
     */
    String edit(KubeControllersConfiguration configuration);

    /** Writes a controller's section back (a merge patch of that section alone). */
    boolean restoreSection(String controller, Map<String, Object> section) throws ApiUnavailableException;

    /**
     * Which fields of a controller's section the store would drop, without storing anything.
     *
     * @return the dropped field names (empty when all are kept), or empty when that cannot be told
     */
    Optional<Set<String>> prunedFields(String controller, Map<String, Object> probe) throws ApiUnavailableException;

    /**
     * Sets one annotation of {@code default} (a merge patch of it alone).
     *
     * @param what for messages: what the annotation reports
     * @return whether it was written
     */
    boolean annotate(String what, String key, String value) throws ApiUnavailableException;

    /**
     * Writes the effective configuration unless {@code current} already shows it, so repeated
     * calls on unchanged input write nothing (no update loops): in {@code status} when this host is
     * the only kube-controllers (standalone), else in {@value #RUNNING_CONFIG_ANNOTATION}, because
     * upstream kube-controllers rewrites the whole status whenever it differs from its view and two
     * status writers would loop (design §10).
     *
     * @return whether a write was made
     */
    boolean reportRunningConfig(KubeControllersConfiguration current, Map<String, Object> runningConfig,
            Map<String, String> environmentVars) throws ApiUnavailableException;

    /**
     * The non-standalone half of {@link #reportRunningConfig}: {@code json} in
     * {@value #RUNNING_CONFIG_ANNOTATION}, unless {@code current} already carries it.
     *
     * @return whether a write was made
     */
    default boolean annotateRunningConfig(KubeControllersConfiguration current, String json)
            throws ApiUnavailableException {
        Map<String, String> annotations = current.getMetadata().getAnnotations();
        if (annotations != null && json.equals(annotations.get(RUNNING_CONFIG_ANNOTATION))) {
            return false;
        }
        return annotate("annotating running config", RUNNING_CONFIG_ANNOTATION, json);
    }

    @Override
    void close();
}
