package dev.calicorr.routereflector;

import dev.calicorr.core.config.InvalidConfigException;
import dev.calicorr.core.plugin.ControllerContext;
import dev.calicorr.core.plugin.ControllerPlugin;
import dev.calicorr.core.plugin.ManagedController;
import dev.calicorr.core.plugin.ParsedConfig;
import dev.calicorr.routereflector.apply.RouteReflectorController;
import dev.calicorr.routereflector.cli.PlanCommand;
import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.config.RouteReflectorConfigParser;
import java.util.List;
import java.util.Map;

/**
 * The route reflector controller as a host plugin, enabled as {@code routereflector}; it adds the
 * {@code plan} subcommand to {@code kube-controllers}.
 */
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

    @Override
    public List<Object> commands() {
        return List.of(new PlanCommand());
    }
}
