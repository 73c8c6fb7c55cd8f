package dev.calicorr.testsupport.bgp;

import dev.calicorr.testsupport.ControlPlane;
import dev.calicorr.testsupport.ControlPlaneExtension;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * JUnit 5 extension behind {@link RealBgp}: builds Calico's parts once per test JVM and gives each
 * test a fresh {@link BgpNetwork}, closed when the test ends (JUnit closes what a test's store holds,
 * pass or fail).
 */
public final class BgpNetworkExtension implements ParameterResolver, TestWatcher {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(BgpNetworkExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == BgpNetwork.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        ControlPlane plane = ControlPlaneExtension.controlPlane(context);
        CalicoParts parts = context.getRoot().getStore(NAMESPACE).getOrComputeIfAbsent("parts",
                key -> CalicoParts.build(ControlPlane.repoRoot()), CalicoParts.class);
        BgpNetwork network = BgpNetwork.start(plane, parts,
                BgpNetwork.workDirFor(context.getRequiredTestMethod().getName()));
        context.getStore(NAMESPACE).put("network", (ExtensionContext.Store.CloseableResource) network::close);
        context.getStore(NAMESPACE).put("dir", network.workDir());
        return network;
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        Object dir = context.getStore(NAMESPACE).get("dir");
        if (dir != null) {
            System.err.println("real BGP files (configs, confd/BIRD/reporter logs) of the failed test "
                    + context.getDisplayName() + ": " + dir);
        }
    }
}
