package dev.calicorr.core;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import dev.calicorr.core.plugin.ControllerContext;
import dev.calicorr.core.plugin.ControllerPlugin;
import dev.calicorr.core.plugin.ManagedController;
import dev.calicorr.core.plugin.ParsedConfig;
import dev.calicorr.core.runtime.Host;
import dev.calicorr.core.runtime.RecordingPlugin;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/** The jar's command line: the host command plus the subcommands plugins bring. */
class MainTest {

    @Test
    void aPluginsSubcommandIsFoundThroughTheServiceLoaderAndRunsWithItsOwnExitCodeAndOutput() {
        CommandLine cli = Main.commandLine(Host.discoverPlugins());
        StringWriter out = new StringWriter();
        cli.setOut(new PrintWriter(out));

        int exit = cli.execute("recording-echo", "route", "reflectors");

        assertThat(exit).isEqualTo(2);
        assertThat(out.toString()).isEqualTo("route reflectors" + System.lineSeparator());
    }

    @Test
    void theHostsHelpListsThePluginSubcommands() {
        CommandLine cli = Main.commandLine(Host.discoverPlugins());
        StringWriter out = new StringWriter();
        cli.setOut(new PrintWriter(out));

        assertThat(cli.execute("--help")).isZero();
        assertThat(out.toString()).contains("Commands:").contains("recording-echo").contains("prints its arguments");
    }

    @Test
    void aCommandLineInstanceKeepsItsNameAndASecondCommandOfATakenNameIsSkipped() {
        ControllerPlugin<?> renamed = new ControllerPlugin<String>() {
            @Override
            public String name() {
                return "other";
            }

            @Override
            public ParsedConfig<String> parseConfig(Map<String, Object> section, Map<String, String> environment) {
                throw new UnsupportedOperationException();
            }

            @Override
            public ManagedController<String> create(ControllerContext context, String config) {
                throw new UnsupportedOperationException();
            }

            @Override
            public List<Object> commands() {
                return List.of(new CommandLine(new RecordingPlugin.EchoCommand()).setCommandName("echo-too"),
                        new RecordingPlugin.EchoCommand());
            }
        };
        CommandLine cli = Main.commandLine(List.of(new RecordingPlugin(), renamed));
        cli.setOut(new PrintWriter(new StringWriter()));

        assertThat(cli.getSubcommands()).containsOnlyKeys("recording-echo", "echo-too");
        assertThat(cli.execute("echo-too", "a", "b", "c")).isEqualTo(3);
        assertThat(cli.execute("recording-echo", "one")).isEqualTo(1);
    }

    @Test
    void whileASubcommandRunsTheLogGoesToStandardErrorSoStandardOutputIsItsResultAlone() {
        CommandLine cli = Main.commandLine(Host.discoverPlugins());
        cli.setOut(new PrintWriter(new StringWriter()));

        cli.execute("recording-echo");

        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        List<String> targets = new ArrayList<>();
        for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext(); ) {
            if (it.next() instanceof ConsoleAppender<ILoggingEvent> console) {
                targets.add(console.getTarget());
            }
        }
        assertThat(targets).isNotEmpty().containsOnly("System.err");
    }
}
