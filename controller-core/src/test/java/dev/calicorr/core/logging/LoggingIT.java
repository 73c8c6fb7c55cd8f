package dev.calicorr.core.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.calicorr.testsupport.ControlPlane;
import dev.calicorr.testsupport.RealControlPlane;
import io.kubernetes.client.informer.ResourceEventHandler;
import io.kubernetes.client.informer.SharedIndexInformer;
import io.kubernetes.client.informer.SharedInformerFactory;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1Node;
import io.kubernetes.client.openapi.models.V1NodeList;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.util.generic.GenericKubernetesApi;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The shipped logback configuration (deploy/src/main/resources/logback.xml) against real informers. */
@RealControlPlane
class LoggingIT {
    private final LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    private final ListAppender<ILoggingEvent> captured = new ListAppender<>();

    private void configure(java.net.URL configuration) throws Exception {
        context.reset();
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        configurator.doConfigure(configuration);
    }

    @AfterEach
    void restoreTestLogging() throws Exception {
        configure(getClass().getResource("/logback-test.xml"));
    }

    private List<String> lines() {
        synchronized (captured) {
            return captured.list.stream().map(e -> e.getLevel() + " [" + e.getLoggerName() + "] "
                    + e.getFormattedMessage() + (e.getThrowableProxy() == null ? "" : " " + e.getThrowableProxy()
                    .getMessage())).toList();
        }
    }

    @Test
    void anInformerHandlerExceptionIsLoggedAndACleanShutdownIsNot(ControlPlane cp) throws Exception {
        configure(cp.repo().resolve("deploy/src/main/resources/logback.xml").toUri().toURL());
        captured.start();
        context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).addAppender(captured);

        var watching = cp.newAdminClient();
        watching.setReadTimeout(0);
        SharedInformerFactory factory = new SharedInformerFactory(watching);
        SharedIndexInformer<V1Node> informer = factory.sharedIndexInformerFor(new GenericKubernetesApi<>(V1Node.class,
                V1NodeList.class, "", "v1", "nodes", watching), V1Node.class, 0);
        informer.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(V1Node node) {
                throw new IllegalStateException("handler bug on " + node.getMetadata().getName());
            }

            @Override
            public void onUpdate(V1Node before, V1Node after) {
            }

            @Override
            public void onDelete(V1Node node, boolean finalStateUnknown) {
            }
        });
        factory.startAllRegisteredInformers();
        new CoreV1Api(cp.adminClient()).createNode(new V1Node().metadata(new V1ObjectMeta().name("logged-node")))
                .execute();
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (lines().stream().noneMatch(line -> line.contains("handler bug on logged-node"))
                && Instant.now().isBefore(deadline)) {
            Thread.sleep(50);
        }
        assertThat(lines()).anyMatch(line -> line.startsWith("ERROR [io.kubernetes.client.informer.cache.ProcessorListener]")
                && line.contains("handler bug on logged-node"));

        int before = lines().size();
        factory.stopAllRegisteredInformers(true);
        List<String> shutdown = lines().subList(before, lines().size());
        assertThat(shutdown).noneMatch(line -> line.startsWith("ERROR"));
    }
}
