package dev.calicorr.core.runtime;

import dev.calicorr.core.config.ConfigValues;
import dev.calicorr.core.config.InvalidConfigException;
import dev.calicorr.core.plugin.ControllerContext;
import dev.calicorr.core.plugin.ControllerPlugin;
import dev.calicorr.core.plugin.ManagedController;
import dev.calicorr.core.plugin.ParsedConfig;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * A plugin that lives only in the test sources and is listed in the test class path's
 * META-INF/services: the proof that a controller is added without touching the host. Its config is
 * one field, {@code message} (non-empty, overridable by {@code RECORDING_MESSAGE}); it records what
 * the host hands it. It also adds a subcommand, {@code recording-echo}.
 */
public final class RecordingPlugin implements ControllerPlugin<String> {
    public static final String NAME = "recording";

    final List<String> configs = new CopyOnWriteArrayList<>();
    final CountDownLatch running = new CountDownLatch(1);
    final AtomicInteger disabled = new AtomicInteger();
    volatile boolean stopped;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public ParsedConfig<String> parseConfig(Map<String, Object> section, Map<String, String> environment)
            throws InvalidConfigException {
        ConfigValues values = new ConfigValues(section, "spec.controllers." + NAME);
        String message = values.string("message").orElse("hello");
        Map<String, String> used = Map.of();
        if (environment.containsKey("RECORDING_MESSAGE")) {
            message = environment.get("RECORDING_MESSAGE");
            used = Map.of("RECORDING_MESSAGE", message);
        }
        if (message.isBlank()) {
            throw new InvalidConfigException(values.field("message"), "must not be empty");
        }
        return new ParsedConfig<>(message, Map.of("message", message), used);
    }

    @Override
    public ManagedController<String> create(ControllerContext context, String config) {
        configs.add(config);
        return new ManagedController<>() {
            private final CountDownLatch stop = new CountDownLatch(1);

            @Override
            public void run() {
                running.countDown();
                try {
                    stop.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }

            @Override
            public void shutdown() {
                stopped = true;
                stop.countDown();
            }

            @Override
            public void configChanged(String next) {
                configs.add(next);
            }

            @Override
            public void disabled() {
                disabled.incrementAndGet();
            }
        };
    }

    @Override
    public List<Object> commands() {
        return List.of(new EchoCommand());
    }

    /** Prints its words on the command's out; its exit code is their count. */
    @Command(name = "recording-echo", mixinStandardHelpOptions = true, description = "prints its arguments")
    public static final class EchoCommand implements Callable<Integer> {
        @Parameters
        List<String> words = List.of();

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            spec.commandLine().getOut().println(String.join(" ", words));
            return words.size();
        }
    }
}
