package dev.calicorr.routereflector.apply;

import dev.calicorr.core.config.InvalidConfigException;
import dev.calicorr.core.plugin.ControllerContext;
import dev.calicorr.core.plugin.ControllerPlugin;
import dev.calicorr.core.plugin.ManagedController;
import dev.calicorr.core.plugin.ParsedConfig;
import dev.calicorr.routereflector.RouteReflectorPlugin;
import dev.calicorr.routereflector.config.RouteReflectorConfig;
import java.util.Map;

/** The route reflector plugin with a step hook on its controller. */
final class HookedPlugin implements ControllerPlugin<RouteReflectorConfig> {
    private final RouteReflectorPlugin plugin = new RouteReflectorPlugin();
    private final RouteReflectorReconciler.StepHook hook;

    HookedPlugin(RouteReflectorReconciler.StepHook hook) {
        this.hook = hook;
    }

    @Override
    public String name() {
        return plugin.name();
    }

    @Override
    public ParsedConfig<RouteReflectorConfig> parseConfig(Map<String, Object> section, Map<String, String> env)
            throws InvalidConfigException {
        return plugin.parseConfig(section, env);
    }

    @Override
    public ManagedController<RouteReflectorConfig> create(ControllerContext context, RouteReflectorConfig config) {
        RouteReflectorController controller = (RouteReflectorController) plugin.create(context, config);
        controller.reconciler().setStepHook(hook);
        return controller;
    }
}
