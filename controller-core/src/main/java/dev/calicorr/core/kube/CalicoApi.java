package dev.calicorr.core.kube;

import io.kubernetes.client.common.KubernetesListObject;
import io.kubernetes.client.common.KubernetesObject;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.util.generic.GenericKubernetesApi;

/**
 * The Calico API group in one place (KDD datastore, cluster-scoped CRDs). Calico 3.32+ may also
 * serve {@code projectcalico.org/v3}; supporting it means changing only this class.
 */
public final class CalicoApi {
    public static final String GROUP = "crd.projectcalico.org";
    public static final String VERSION = "v1";
    public static final String API_VERSION = GROUP + "/" + VERSION;

    private CalicoApi() {
    }

    /** A typed client for one Calico resource, e.g. {@code bgppeers}. */
    public static <T extends KubernetesObject, L extends KubernetesListObject> GenericKubernetesApi<T, L> api(
            Class<T> type, Class<L> listType, String plural, ApiClient client) {
        return new GenericKubernetesApi<>(type, listType, GROUP, VERSION, plural, client);
    }

    /** The CRD's full name, e.g. {@code bgppeers.crd.projectcalico.org}, for messages. */
    public static String crdName(String plural) {
        return plural + "." + GROUP;
    }
}
