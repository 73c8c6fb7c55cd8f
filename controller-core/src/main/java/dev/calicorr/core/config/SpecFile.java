package dev.calicorr.core.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code --config} file: a KubeControllersConfiguration {@code spec} in YAML or JSON, for
 * clusters whose installed CRD prunes our section (an operator-managed Calico reverts CRD edits).
 * It stands in for what the CR lacks; see {@link HostConfigParser#withFallback}.
 */
public final class SpecFile {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private SpecFile() {
    }

    /**
     * @return the spec; a file holding a whole KubeControllersConfiguration object gives its {@code spec}
     * @throws FatalConfigException when the file cannot be read or is not a YAML/JSON mapping
     */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> read(Path file) throws FatalConfigException {
        Object parsed;
        try {
            String text = Files.readString(file);
            parsed = text.isBlank() ? null : YAML.readValue(text, Object.class);
        } catch (JacksonException e) {
            throw new FatalConfigException("--config", file + " is not valid YAML or JSON: "
                    + e.getOriginalMessage().replaceAll("\\s+", " ") + location(e));
        } catch (IOException e) {
            throw new FatalConfigException("--config", "cannot read " + file + ": " + e);
        }
        if (parsed == null) {
            return Map.of();
        }
        if (!(parsed instanceof Map<?, ?> map)) {
            throw new FatalConfigException("--config", file + " must hold a mapping (a KubeControllersConfiguration "
                    + "spec such as 'controllers: {routereflector: {min: 3}}'), not a " + kind(parsed));
        }
        if (map.get("spec") instanceof Map<?, ?> spec && map.containsKey("kind")) {
            return new LinkedHashMap<>((Map<String, Object>) spec);
        }
        return new LinkedHashMap<>((Map<String, Object>) map);
    }

    private static String location(JacksonException e) {
        return e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")";
    }

    private static String kind(Object value) {
        return value instanceof java.util.List ? "list" : "scalar";
    }
}
