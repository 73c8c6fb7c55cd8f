package dev.calicorr.core.config;

import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/** Pure merge of the CR spec and the environment into a {@link HostConfig}. */
public final class HostConfigParser {
    public static final String ENV_LOG_LEVEL = "LOG_LEVEL";
    public static final String ENV_ENABLED_CONTROLLERS = "ENABLED_CONTROLLERS";
    public static final String ENV_HEALTH_ENABLED = "HEALTH_ENABLED";
    public static final String ENV_DATASTORE_TYPE = "DATASTORE_TYPE";
    public static final String DEFAULT_LOG_SEVERITY = "Info";
    public static final int DEFAULT_METRICS_PORT = 9094;
    private static final String SPEC = "spec";

    private HostConfigParser() {
    }

    /**
     * @param spec        the CR's spec (null counts as empty)
     * @param env         the process environment
     * @param controllers the names of the plugins this process has
     * @throws InvalidConfigException for a value that cannot be used
     * @throws FatalConfigException   when the process cannot run at all (unknown controller name,
     *                                unsupported datastore)
     */
    public static HostConfig parse(Map<String, Object> spec, Map<String, String> env, Set<String> controllers)
            throws InvalidConfigException {
        ConfigValues values = new ConfigValues(spec, SPEC);
        Map<String, String> used = new TreeMap<>();

        String datastore = env.get(ENV_DATASTORE_TYPE);
        if (datastore != null) {
            used.put(ENV_DATASTORE_TYPE, datastore);
        }
        if (EtcdSettings.fromEnvironment(env).isPresent()) {
            // ETCD_PASSWORD is consulted but never reported
            for (String name : List.of(EtcdSettings.ENV_ENDPOINTS, EtcdSettings.ENV_CA_CERT_FILE,
                    EtcdSettings.ENV_CERT_FILE, EtcdSettings.ENV_KEY_FILE, EtcdSettings.ENV_USERNAME)) {
                if (env.containsKey(name)) {
                    used.put(name, env.get(name));
                }
            }
        }

        String logLevel;
        if (env.containsKey(ENV_LOG_LEVEL)) {
            used.put(ENV_LOG_LEVEL, env.get(ENV_LOG_LEVEL));
            logLevel = logLevel(ENV_LOG_LEVEL, env.get(ENV_LOG_LEVEL));
        } else {
            logLevel = logLevel(values.field("logSeverityScreen"),
                    values.string("logSeverityScreen").orElse(DEFAULT_LOG_SEVERITY));
        }

        boolean healthChecks;
        if (env.containsKey(ENV_HEALTH_ENABLED)) {
            used.put(ENV_HEALTH_ENABLED, env.get(ENV_HEALTH_ENABLED));
            healthChecks = Boolean.parseBoolean(env.get(ENV_HEALTH_ENABLED).trim());
        } else {
            healthChecks = !values.string("healthChecks").orElse("Enabled").equals("Disabled");
        }

        int metricsPort = values.integer("prometheusMetricsPort").orElse(DEFAULT_METRICS_PORT);
        if (metricsPort < 0 || metricsPort > 65535) {
            throw new InvalidConfigException(values.field("prometheusMetricsPort"),
                    metricsPort + " is not a port (0 disables metrics)");
        }

        Optional<Set<String>> enabled = Optional.empty();
        String enabledText = env.get(ENV_ENABLED_CONTROLLERS);
        if (enabledText != null) {
            used.put(ENV_ENABLED_CONTROLLERS, enabledText);
            Set<String> names = new LinkedHashSet<>();
            for (String name : enabledText.split(",")) {
                String trimmed = name.trim();
                if (trimmed.isEmpty()) {
                    continue;
                }
                if (!controllers.contains(trimmed)) {
                    throw new FatalConfigException(ENV_ENABLED_CONTROLLERS, "Invalid controller '" + trimmed
                            + "' (this process has: " + String.join(", ", controllers.stream().sorted().toList()) + ")");
                }
                names.add(trimmed);
            }
            enabled = Optional.of(names);
        }

        Map<String, Map<String, Object>> sections = new HashMap<>();
        Map<String, Object> controllersSection = values.section("controllers");
        if (controllersSection != null) {
            ConfigValues controllerValues = new ConfigValues(controllersSection, values.field("controllers"));
            for (String name : controllersSection.keySet()) {
                Map<String, Object> section = controllerValues.section(name);
                if (section != null) {
                    sections.put(name, section);
                }
            }
        }
        return new HostConfig(logLevel, healthChecks, metricsPort, enabled, sections, used);
    }

    /**
     * The CR spec with the {@code --config} file standing in for what the CR lacks: a top-level
     * field, or a whole controller section under {@code controllers}. A section present in the CR
     * replaces the file's section as a whole, so an edit of the CR reads the same with or without
     * the file; sections are never mixed field by field.
     */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> withFallback(Map<String, Object> spec, Map<String, Object> fileSpec) {
        Map<String, Object> cr = spec == null ? Map.of() : spec;
        if (fileSpec.isEmpty()) {
            return cr;
        }
        Map<String, Object> merged = new LinkedHashMap<>(fileSpec);
        merged.putAll(cr);
        if (fileSpec.get("controllers") instanceof Map<?, ?> fileControllers
                && cr.get("controllers") instanceof Map<?, ?> crControllers) {
            Map<String, Object> controllers = new LinkedHashMap<>((Map<String, Object>) fileControllers);
            controllers.putAll((Map<String, Object>) crControllers);
            merged.put("controllers", controllers);
        }
        return merged;
    }

    /** Upstream's severities (Debug, Info, Warning, Error, Fatal, Panic; any case) as SLF4J levels. */
    static String logLevel(String field, String severity) throws InvalidConfigException {
        return switch (severity.trim().toLowerCase(Locale.ROOT)) {
            case "trace" -> "TRACE";
            case "debug" -> "DEBUG";
            case "info" -> "INFO";
            case "warning", "warn" -> "WARN";
            case "error", "fatal", "panic" -> "ERROR";
            default -> throw new InvalidConfigException(field,
                    "'" + severity + "' is not a log severity (Debug, Info, Warning, Error, Fatal, Panic)");
        };
    }

    /**
     * The spec upstream kube-controllers writes when {@code default} is missing, plus an empty
     * section for each given controller so users see where its settings go.
     */
    public static Map<String, Object> defaultSpec(List<String> ourControllers) {
        Map<String, Object> reconcile5m = Map.of("reconcilerPeriod", "5m");
        Map<String, Object> controllers = new LinkedHashMap<>();
        controllers.put("node", Map.of("reconcilerPeriod", "5m", "syncLabels", "Enabled",
                "hostEndpoint", Map.of("autoCreate", "Disabled"), "leakGracePeriod", "15m"));
        for (String name : List.of("policy", "workloadEndpoint", "serviceAccount", "namespace")) {
            controllers.put(name, reconcile5m);
        }
        ourControllers.forEach(name -> controllers.put(name, Map.of()));
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("logSeverityScreen", DEFAULT_LOG_SEVERITY);
        spec.put("healthChecks", "Enabled");
        spec.put("etcdV3CompactionPeriod", "10m");
        spec.put("controllers", controllers);
        return spec;
    }

    /** Split a comma list, trimming, dropping empty entries. */
    public static List<String> commaList(String text) {
        return Arrays.stream(text.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }
}
