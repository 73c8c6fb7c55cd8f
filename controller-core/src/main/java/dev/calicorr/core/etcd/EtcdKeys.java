package dev.calicorr.core.etcd;

/**
 * libcalico-go's etcdv3 layout (lib/backend/model/resource.go): a cluster-scoped v3 resource is
 * stored under {@code /calico/resources/v3/projectcalico.org/<plural>/<name>}; its value is the
 * resource's JSON with {@code apiVersion: projectcalico.org/v3}, without {@code resourceVersion}
 * (the key's mod revision is the resource version).
 */
public final class EtcdKeys {
    public static final String ROOT = "/calico/resources/v3/projectcalico.org/";
    public static final String API_VERSION = "projectcalico.org/v3";
    public static final String NODES = "nodes";

    private EtcdKeys() {
    }

    /** The prefix of every object of a kind, with its trailing slash. */
    public static String prefix(String plural) {
        return ROOT + plural + "/";
    }

    public static String key(String plural, String name) {
        return prefix(plural) + name;
    }
}
