package dev.calicorr.routereflector.cli;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.calicorr.core.config.FatalConfigException;
import dev.calicorr.core.config.InvalidConfigException;
import dev.calicorr.core.config.SpecFile;
import dev.calicorr.core.plugin.ParsedConfig;
import dev.calicorr.routereflector.RouteReflectorPlugin;
import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.config.RouteReflectorConfigParser;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The configuration a plan runs with: a {@code routereflector} section (from {@code --config}, the
 * live cluster, or none), then {@code --set key=value} and {@code --topology} on top, validated by
 * the controller's own parser. The process environment is not read: the controller's
 * {@code ROUTE_REFLECTOR_*} variables live in its Deployment, not in the shell running the plan;
 * {@code --set} stands in for them.
 */
public final class PlanConfig {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private PlanConfig() {
    }

    /**
     * The routereflector section of a {@code --config} file, which may hold the section itself, a
     * KubeControllersConfiguration spec ({@code controllers: {routereflector: {...}}}) or the whole
     * object; null when a spec or object has no routereflector section.
     */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> sectionOfFile(Path file) throws PlanInputException {
        Map<String, Object> content;
        try {
            content = SpecFile.read(file);
        } catch (FatalConfigException e) {
            throw new PlanInputException(e.getMessage());
        }
        if (content.get("spec") instanceof Map<?, ?> spec) {
            content = (Map<String, Object>) spec; // an object without kind: SpecFile leaves it whole
        }
        if (!content.containsKey("controllers")) {
            return content;
        }
        if (!(content.get("controllers") instanceof Map<?, ?> controllers)) {
            throw new PlanInputException("--config: " + file + ": controllers must be an object");
        }
        Object section = controllers.get(RouteReflectorPlugin.NAME);
        if (section != null && !(section instanceof Map<?, ?>)) {
            throw new PlanInputException("--config: " + file + ": controllers." + RouteReflectorPlugin.NAME
                    + " must be an object");
        }
        return (Map<String, Object>) section;
    }

    /**
     * @param section  the base section, or null for the defaults
     * @param sets     {@code key=value}, each value read as a YAML scalar or flow list
     *                 ({@code min=5}, {@code ratio=0.02}, {@code tolerations=[a,b]}), else a string;
     *                 YAML quotes keep one: {@code routeReflectorLabelValue="'true'"})
     * @param topology the topology type, or null to keep the section's
     * @throws PlanInputException with the parser's message, which names the field
     */
    public static ParsedConfig<RouteReflectorConfig> parse(Map<String, Object> section, List<String> sets,
            String topology) throws PlanInputException {
        Map<String, Object> merged = section == null ? new LinkedHashMap<>() : new LinkedHashMap<>(section);
        for (String set : sets) {
            int eq = set.indexOf('=');
            if (eq <= 0) {
                throw new PlanInputException("--set " + set + ": write key=value, e.g. --set min=5");
            }
            merged.put(set.substring(0, eq).trim(), scalar(set.substring(eq + 1)));
        }
        if (topology != null) {
            merged.put("topologyType", topology);
        }
        try {
            return RouteReflectorConfigParser.parse(merged, Map.of());
        } catch (InvalidConfigException e) {
            throw new PlanInputException("invalid configuration: " + e.getMessage());
        }
    }

    /**
     * A number, boolean or list as YAML reads it; anything else is the text itself, so selectors
     * such as {@code !has(x)} stay strings (a quoted YAML string loses its quotes).
     */
    static Object scalar(String text) {
        String trimmed = text.trim();
        try {
            Object value = YAML.readValue(trimmed, Object.class);
            if (value instanceof Number || value instanceof Boolean || value instanceof List<?>) {
                return value;
            }
            if (value instanceof String quoted && (trimmed.startsWith("'") || trimmed.startsWith("\""))) {
                return quoted;
            }
        } catch (JacksonException e) {
            // not YAML: the text as it is
        }
        return trimmed;
    }
}
