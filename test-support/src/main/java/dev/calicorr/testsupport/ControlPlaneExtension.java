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
 * tests end), reset before each test, injected as a {@link ControlPlane} parameter. On a failed
 * test it prints where the process logs are.
 */
public final class ControlPlaneExtension implements BeforeEachCallback, ParameterResolver, TestWatcher {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(ControlPlaneExtension.class);

    /** The test JVM's control plane, started on first use; for extensions that build on it. */
    public static ControlPlane controlPlane(ExtensionContext context) {
        return context.getRoot().getStore(NAMESPACE).getOrComputeIfAbsent("plane", key -> new Resource(
                ControlPlane.start(Paths.get("target", "control-plane"))), Resource.class).plane;
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
