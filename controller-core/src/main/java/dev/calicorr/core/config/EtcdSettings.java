package dev.calicorr.core.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where Calico keeps its resources when {@code DATASTORE_TYPE=etcdv3}: the etcd endpoints and the
 * TLS files, under the environment variable names Calico's own components (calico-node,
 * kube-controllers, calicoctl) read. Pure parsing: the files are opened by the client.
 *
 * @param endpoints  {@code ETCD_ENDPOINTS}: comma list of {@code http://} or {@code https://} URLs
 * @param caCertFile {@code ETCD_CA_CERT_FILE}: the CA that signed etcd's server certificate
 * @param certFile   {@code ETCD_CERT_FILE}: our client certificate (with {@code ETCD_KEY_FILE})
 * @param keyFile    {@code ETCD_KEY_FILE}: its private key, PEM
 * @param username   {@code ETCD_USERNAME}, with {@code ETCD_PASSWORD}: etcd's own authentication
 */
public record EtcdSettings(List<URI> endpoints, Optional<Path> caCertFile, Optional<Path> certFile,
        Optional<Path> keyFile, Optional<String> username, Optional<String> password) {
    public static final String ENV_ENDPOINTS = "ETCD_ENDPOINTS";
    public static final String ENV_CA_CERT_FILE = "ETCD_CA_CERT_FILE";
    public static final String ENV_CERT_FILE = "ETCD_CERT_FILE";
    public static final String ENV_KEY_FILE = "ETCD_KEY_FILE";
    public static final String ENV_USERNAME = "ETCD_USERNAME";
    public static final String ENV_PASSWORD = "ETCD_PASSWORD";
    public static final String ENV_DISCOVERY_SRV = "ETCD_DISCOVERY_SRV";
    public static final String KUBERNETES = "kubernetes";
    public static final String ETCDV3 = "etcdv3";

    public EtcdSettings {
        endpoints = List.copyOf(endpoints);
    }

    /** Never the password. */
    @Override
    public String toString() {
        return "EtcdSettings[endpoints=" + endpoints + ", caCertFile=" + caCertFile + ", certFile=" + certFile
                + ", keyFile=" + keyFile + ", username=" + username + (password.isPresent() ? ", password set]" : "]");
    }

    /** Whether the endpoints speak TLS. */
    public boolean tls() {
        return endpoints.stream().anyMatch(uri -> "https".equals(uri.getScheme()));
    }

    /**
     * The etcd settings of this environment: empty for the Kubernetes datastore ({@code
     * DATASTORE_TYPE} unset or {@code kubernetes}).
     *
     * @throws FatalConfigException naming the variable that cannot be used
     */
    public static Optional<EtcdSettings> fromEnvironment(Map<String, String> env) throws FatalConfigException {
        String datastore = env.get(HostConfigParser.ENV_DATASTORE_TYPE);
        if (datastore == null || datastore.trim().equals(KUBERNETES)) {
            return Optional.empty();
        }
        if (!datastore.trim().equals(ETCDV3)) {
            throw new FatalConfigException(HostConfigParser.ENV_DATASTORE_TYPE, "'" + datastore
                    + "' is not a datastore type (" + KUBERNETES + ", " + ETCDV3 + ")");
        }
        if (present(env, ENV_DISCOVERY_SRV)) {
            throw new FatalConfigException(ENV_DISCOVERY_SRV, "is not supported here: list the etcd URLs in "
                    + ENV_ENDPOINTS + " instead");
        }
        String text = env.get(ENV_ENDPOINTS);
        if (text == null || text.isBlank()) {
            throw new FatalConfigException(ENV_ENDPOINTS, "must be set with DATASTORE_TYPE=etcdv3: the etcd URLs, "
                    + "comma separated, e.g. https://10.0.0.1:2379");
        }
        List<URI> endpoints = new ArrayList<>();
        for (String endpoint : HostConfigParser.commaList(text)) {
            endpoints.add(endpoint(endpoint));
        }
        Optional<Path> ca = file(env, ENV_CA_CERT_FILE);
        Optional<Path> cert = file(env, ENV_CERT_FILE);
        Optional<Path> key = file(env, ENV_KEY_FILE);
        if (cert.isPresent() != key.isPresent()) {
            throw new FatalConfigException(cert.isPresent() ? ENV_KEY_FILE : ENV_CERT_FILE,
                    "must be set together with " + (cert.isPresent() ? ENV_CERT_FILE : ENV_KEY_FILE)
                            + " (the client certificate and its key)");
        }
        Optional<String> username = present(env, ENV_USERNAME) ? Optional.of(env.get(ENV_USERNAME)) : Optional.empty();
        Optional<String> password = present(env, ENV_PASSWORD) ? Optional.of(env.get(ENV_PASSWORD)) : Optional.empty();
        if (username.isPresent() != password.isPresent()) {
            // libcalico-go ignores one without the other; a half-set login is more likely a mistake
            throw new FatalConfigException(username.isPresent() ? ENV_PASSWORD : ENV_USERNAME,
                    "must be set together with " + (username.isPresent() ? ENV_USERNAME : ENV_PASSWORD));
        }
        EtcdSettings settings = new EtcdSettings(endpoints, ca, cert, key, username, password);
        boolean plain = endpoints.stream().anyMatch(uri -> "http".equals(uri.getScheme()));
        if (settings.tls() && plain) {
            throw new FatalConfigException(ENV_ENDPOINTS, "mixes http:// and https:// endpoints: " + text);
        }
        if (!settings.tls() && (ca.isPresent() || cert.isPresent())) {
            throw new FatalConfigException(ENV_ENDPOINTS, "names http:// endpoints, but TLS files are set ("
                    + ENV_CA_CERT_FILE + ", " + ENV_CERT_FILE + "): use https://");
        }
        return Optional.of(settings);
    }

    private static boolean present(Map<String, String> env, String name) {
        return env.get(name) != null && !env.get(name).isBlank();
    }

    private static URI endpoint(String text) throws FatalConfigException {
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw new FatalConfigException(ENV_ENDPOINTS, "'" + text + "' is not a URL: " + e.getMessage());
        }
        if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null
                || uri.getPort() < 0) {
            throw new FatalConfigException(ENV_ENDPOINTS, "'" + text
                    + "' is not an etcd endpoint (http://host:port or https://host:port)");
        }
        return uri;
    }

    private static Optional<Path> file(Map<String, String> env, String name) throws FatalConfigException {
        String value = env.get(name);
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        Path path = Path.of(value.trim());
        if (!path.isAbsolute()) {
            throw new FatalConfigException(name, "'" + value + "' is not an absolute path");
        }
        return Optional.of(path);
    }
}
