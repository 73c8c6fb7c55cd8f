package dev.calicorr.routereflector;

import dev.calicorr.core.config.InvalidConfigException;
import dev.calicorr.core.plugin.ControllerContext;
import dev.calicorr.core.plugin.ControllerPlugin;
import dev.calicorr.core.plugin.ManagedController;
import dev.calicorr.core.plugin.ParsedConfig;
import dev.calicorr.routereflector.apply.RouteReflectorController;
import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.config.RouteReflectorConfigParser;
import java.util.Map;

/** The route reflector controller as a host plugin, enabled as {@code routereflector}. */
public final class RouteReflectorPlugin implements ControllerPlugin<RouteReflectorConfig> {
    public static final String NAME = "routereflector";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public ParsedConfig<RouteReflectorConfig> parseConfig(Map<String, Object> section, Map<String, String> environment)
            throws InvalidConfigException {
        return RouteReflectorConfigParser.parse(section, environment);
    }

    @Override
    public ManagedController<RouteReflectorConfig> create(ControllerContext context, RouteReflectorConfig config) {
        return new RouteReflectorController(context, config);
    }
}
