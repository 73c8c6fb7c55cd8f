package dev.calicorr.routereflector.apply;

import dev.calicorr.core.config.InvalidConfigException;
import dev.calicorr.core.plugin.ControllerContext;
import dev.calicorr.core.plugin.ControllerPlugin;
import dev.calicorr.core.plugin.ManagedController;
import dev.calicorr.core.plugin.ParsedConfig;
import dev.calicorr.routereflector.RouteReflectorPlugin;
import dev.calicorr.routereflector.config.RouteReflectorConfig;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/** The route reflector plugin, keeping a reference to the controller it creates, with a step hook set from the start. */
final class CapturingPlugin implements ControllerPlugin<RouteReflectorConfig> {
    private final RouteReflectorPlugin plugin = new RouteReflectorPlugin();
    private final AtomicReference<RouteReflectorController> created;
    private final RouteReflectorReconciler.StepHook hook;

    CapturingPlugin(AtomicReference<RouteReflectorController> created) {
        this(created, step -> { });
    }

    CapturingPlugin(AtomicReference<RouteReflectorController> created, RouteReflectorReconciler.StepHook hook) {
        this.created = created;
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
        RouteReflectorController made = (RouteReflectorController) plugin.create(context, config);
        made.reconciler().setStepHook(hook);
        created.set(made);
        return made;
    }
}
