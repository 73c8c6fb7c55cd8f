package dev.calicorr.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HostConfigParserTest {
    private static final Set<String> PLUGINS = Set.of("routereflector", "nodelabels");

    @Test
    void defaultsWhenSpecIsEmpty() throws Exception {
        HostConfig config = HostConfigParser.parse(Map.of(), Map.of(), PLUGINS);
        assertThat(config.logLevel()).isEqualTo("INFO");
        assertThat(config.healthChecks()).isTrue();
        assertThat(config.metricsPort()).isEqualTo(9094);
        assertThat(config.enabledControllers()).isEmpty();
        assertThat(config.environmentUsed()).isEmpty();
    }

    @Test
    void environmentWinsOverTheResourceFieldByField() throws Exception {
        Map<String, Object> spec = Map.of("logSeverityScreen", "Debug", "healthChecks", "Disabled",
                "prometheusMetricsPort", 9200.0);
        HostConfig config = HostConfigParser.parse(spec, Map.of("LOG_LEVEL", "warning"), PLUGINS);
        assertThat(config.logLevel()).isEqualTo("WARN");
        assertThat(config.healthChecks()).isFalse(); // from the resource: no variable set
        assertThat(config.metricsPort()).isEqualTo(9200);
        assertThat(config.environmentUsed()).containsExactly(Map.entry("LOG_LEVEL", "warning"));
    }

    @Test
    void enabledControllersVariableDecidesWhichRun() throws Exception {
        Map<String, Object> spec = Map.of("controllers", Map.of("nodelabels", Map.of()));
        HostConfig config = HostConfigParser.parse(spec, Map.of("ENABLED_CONTROLLERS", " routereflector, "), PLUGINS);
        assertThat(config.enabled("routereflector")).isTrue();
        assertThat(config.enabled("nodelabels")).isFalse();
        assertThat(config.environmentUsed()).containsKey("ENABLED_CONTROLLERS");
    }

    @Test
    void withoutTheVariableAPresentSectionEnablesItsController() throws Exception {
        Map<String, Object> spec = Map.of("controllers", Map.of("routereflector", Map.of("min", 3.0)));
        HostConfig config = HostConfigParser.parse(spec, Map.of(), PLUGINS);
        assertThat(config.enabled("routereflector")).isTrue();
        assertThat(config.enabled("nodelabels")).isFalse();
        assertThat(config.section("routereflector")).containsEntry("min", 3.0);
    }

    @Test
    void unknownControllerNameIsFatalAndNamesTheKnownOnes() {
        assertThatThrownBy(() -> HostConfigParser.parse(Map.of(), Map.of("ENABLED_CONTROLLERS", "routereflector,bogus"),
                PLUGINS))
                .isInstanceOf(FatalConfigException.class)
                .hasMessageContaining("ENABLED_CONTROLLERS")
                .hasMessageContaining("Invalid controller 'bogus'")
                .hasMessageContaining("nodelabels, routereflector");
    }

    @Test
    void etcdDatastoreWithoutEndpointsIsFatalAndNamesTheVariable() {
        assertThatThrownBy(() -> HostConfigParser.parse(Map.of(), Map.of("DATASTORE_TYPE", "etcdv3"), PLUGINS))
                .isInstanceOf(FatalConfigException.class)
                .hasMessageContaining("ETCD_ENDPOINTS");
    }

    @Test
    void unknownDatastoreIsFatal() {
        assertThatThrownBy(() -> HostConfigParser.parse(Map.of(), Map.of("DATASTORE_TYPE", "consul"), PLUGINS))
                .isInstanceOf(FatalConfigException.class)
                .hasMessageContaining("DATASTORE_TYPE")
                .hasMessageContaining("kubernetes, etcdv3");
    }

    @Test
    void etcdDatastoreReportsItsVariables() throws Exception {
        Map<String, String> env = Map.of("DATASTORE_TYPE", "etcdv3", "ETCD_ENDPOINTS", "https://10.0.0.1:2379",
                "ETCD_CA_CERT_FILE", "/calico-secrets/etcd-ca", "ETCD_CERT_FILE", "/calico-secrets/etcd-cert",
                "ETCD_KEY_FILE", "/calico-secrets/etcd-key");
        assertThat(HostConfigParser.parse(Map.of(), env, PLUGINS).environmentUsed()).isEqualTo(env);
        EtcdSettings etcd = EtcdSettings.fromEnvironment(env).orElseThrow();
        assertThat(etcd.endpoints()).containsExactly(java.net.URI.create("https://10.0.0.1:2379"));
        assertThat(etcd.tls()).isTrue();
        assertThat(etcd.keyFile()).contains(java.nio.file.Path.of("/calico-secrets/etcd-key"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "10.0.0.1:2379|||ETCD_ENDPOINTS|is not a URL",
            "ftp://10.0.0.1:2379|||ETCD_ENDPOINTS|not an etcd endpoint",
            "https://10.0.0.1:2379,http://10.0.0.2:2379|||ETCD_ENDPOINTS|mixes",
            "https://10.0.0.1:2379|/certs/cert||ETCD_KEY_FILE|together with ETCD_CERT_FILE",
            "https://10.0.0.1:2379|certs/cert|certs/key|ETCD_CERT_FILE|absolute",
            "http://10.0.0.1:2379|/certs/cert|/certs/key|ETCD_ENDPOINTS|use https://"})
    void badEtcdVariablesAreFatalAndNamed(String endpoints, String cert, String key, String variable, String problem) {
        Map<String, String> env = new java.util.HashMap<>(Map.of("DATASTORE_TYPE", "etcdv3", "ETCD_ENDPOINTS", endpoints));
        if (cert != null) {
            env.put("ETCD_CERT_FILE", cert);
        }
        if (key != null) {
            env.put("ETCD_KEY_FILE", key);
        }
        assertThatThrownBy(() -> EtcdSettings.fromEnvironment(env))
                .isInstanceOf(FatalConfigException.class)
                .hasMessageContaining(variable)
                .hasMessageContaining(problem);
    }

    @Test
    void anEtcdLoginIsUsedWholeAndItsPasswordNeverReported() throws Exception {
        Map<String, String> env = Map.of("DATASTORE_TYPE", "etcdv3", "ETCD_ENDPOINTS", "http://127.0.0.1:2379",
                "ETCD_USERNAME", "calico", "ETCD_PASSWORD", "s3cret");
        EtcdSettings etcd = EtcdSettings.fromEnvironment(env).orElseThrow();
        assertThat(etcd.username()).contains("calico");
        assertThat(etcd.password()).contains("s3cret");
        assertThat(etcd.toString()).doesNotContain("s3cret");
        assertThat(HostConfigParser.parse(Map.of(), env, PLUGINS).environmentUsed()).containsEntry("ETCD_USERNAME", "calico")
                .doesNotContainKey("ETCD_PASSWORD");
        assertThatThrownBy(() -> EtcdSettings.fromEnvironment(Map.of("DATASTORE_TYPE", "etcdv3", "ETCD_ENDPOINTS",
                "http://127.0.0.1:2379", "ETCD_USERNAME", "calico")))
                .isInstanceOf(FatalConfigException.class).hasMessageContaining("ETCD_PASSWORD");
        assertThatThrownBy(() -> EtcdSettings.fromEnvironment(Map.of("DATASTORE_TYPE", "etcdv3", "ETCD_DISCOVERY_SRV",
                "example.com"))).isInstanceOf(FatalConfigException.class).hasMessageContaining("ETCD_DISCOVERY_SRV")
                .hasMessageContaining("ETCD_ENDPOINTS");
    }

    @Test
    void kubernetesDatastoreHasNoEtcd() throws Exception {
        assertThat(EtcdSettings.fromEnvironment(Map.of("DATASTORE_TYPE", "kubernetes"))).isEmpty();
        assertThat(EtcdSettings.fromEnvironment(Map.of())).isEmpty();
    }

    @ParameterizedTest
    @CsvSource({"Debug,DEBUG", "info,INFO", "Warning,WARN", "Error,ERROR", "Fatal,ERROR", "Panic,ERROR"})
    void upstreamSeveritiesMapToLogLevels(String severity, String level) throws Exception {
        assertThat(HostConfigParser.parse(Map.of("logSeverityScreen", severity), Map.of(), PLUGINS).logLevel())
                .isEqualTo(level);
    }

    @Test
    void badValuesNameTheirField() {
        assertThatThrownBy(() -> HostConfigParser.parse(Map.of("logSeverityScreen", "Loud"), Map.of(), PLUGINS))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageStartingWith("spec.logSeverityScreen: 'Loud'");
        assertThatThrownBy(() -> HostConfigParser.parse(Map.of("prometheusMetricsPort", 70000.0), Map.of(), PLUGINS))
                .hasMessageStartingWith("spec.prometheusMetricsPort");
        assertThatThrownBy(() -> HostConfigParser.parse(Map.of("controllers", Map.of("routereflector", "yes")),
                Map.of(), PLUGINS))
                .hasMessageStartingWith("spec.controllers.routereflector: must be an object");
    }

    @Test
    void defaultSpecMatchesUpstreamAndAddsOurSections() {
        Map<String, Object> spec = HostConfigParser.defaultSpec(List.of("routereflector"));
        assertThat(spec).containsEntry("logSeverityScreen", "Info").containsEntry("healthChecks", "Enabled")
                .containsEntry("etcdV3CompactionPeriod", "10m");
        @SuppressWarnings("unchecked")
        Map<String, Object> controllers = (Map<String, Object>) spec.get("controllers");
        assertThat(controllers).containsKeys("node", "policy", "workloadEndpoint", "serviceAccount", "namespace",
                "routereflector");
    }

    @Test
    void theConfigFileStandsInForWhatTheResourceLacks() throws Exception {
        Map<String, Object> file = Map.of("logSeverityScreen", "Debug", "prometheusMetricsPort", 9300.0,
                "controllers", Map.of("routereflector", Map.of("min", 4.0, "ratio", 0.1), "nodelabels", Map.of("a", 1.0)));
        // A CR whose CRD pruned our section: the file's section is used.
        Map<String, Object> pruned = Map.of("logSeverityScreen", "Info",
                "controllers", Map.of("node", Map.of("reconcilerPeriod", "5m")));
        HostConfig config = HostConfigParser.parse(HostConfigParser.withFallback(pruned, file), Map.of(), PLUGINS);
        assertThat(config.section("routereflector")).containsEntry("min", 4.0).containsEntry("ratio", 0.1);
        assertThat(config.enabled("routereflector")).isTrue();
        assertThat(config.logLevel()).isEqualTo("INFO"); // the CR's own field wins
        assertThat(config.metricsPort()).isEqualTo(9300); // absent in the CR: from the file
    }

    @Test
    void aSectionInTheResourceReplacesTheFilesSectionWhole() throws Exception {
        Map<String, Object> file = Map.of("controllers", Map.of("routereflector", Map.of("min", 4.0, "ratio", 0.1)));
        Map<String, Object> cr = Map.of("controllers", Map.of("routereflector", Map.of("max", 7.0)));
        HostConfig config = HostConfigParser.parse(HostConfigParser.withFallback(cr, file), Map.of(), PLUGINS);
        assertThat(config.section("routereflector")).containsExactly(Map.entry("max", 7.0));
        assertThat(HostConfigParser.withFallback(null, Map.of())).isEmpty();
    }
}
