package dev.calicorr.testsupport;

import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * JUnit 5 extension: one control plane per test JVM (started on first use, stopped when the JVM's
 * tests end; or the cluster of {@code -Dit.kubeconfig}, attached), reset before each test, injected
 * as a {@link ControlPlane} parameter. On a failed
 * test it prints where the process logs are.
 */
public final class ControlPlaneExtension implements BeforeEachCallback, ParameterResolver, TestWatcher {
    /** An admin kubeconfig: the tests run against its cluster instead of starting a control plane. */
    public static final String KUBECONFIG_PROPERTY = "it.kubeconfig";
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(ControlPlaneExtension.class);

    /** The test JVM's control plane, started (or attached) on first use; for extensions that build on it. */
    public static ControlPlane controlPlane(ExtensionContext context) {
        return context.getRoot().getStore(NAMESPACE).getOrComputeIfAbsent("plane", key -> new Resource(start()),
                Resource.class).plane;
    }

    /** Ours on loopback, or with {@code -Dit.kubeconfig=FILE} the cluster of that admin kubeconfig. */
    private static ControlPlane start() {
        Path work = Paths.get("target", "control-plane");
        String kubeconfig = System.getProperty(KUBECONFIG_PROPERTY, "");
        return kubeconfig.isBlank() ? ControlPlane.start(work) : ControlPlane.attach(Paths.get(kubeconfig), work);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        controlPlane(context).reset();
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == ControlPlane.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return controlPlane(context);
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        Resource resource = context.getRoot().getStore(NAMESPACE).get("plane", Resource.class);
        if (resource != null) {
            Path dir = resource.plane.workDir();
            System.err.println("control plane logs of the failed test " + context.getDisplayName() + ": " + dir);
        }
    }

    /** Closed by JUnit when the root context ends: the processes stop with the test JVM's tests. */
    private record Resource(ControlPlane plane) implements ExtensionContext.Store.CloseableResource {
        @Override
        public void close() {
            plane.close();
        }
    }
}
