package dev.calicorr.testsupport.k3s;

import dev.calicorr.testsupport.ControlPlaneException;
import dev.calicorr.testsupport.ControlPlaneExtension;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.k3s.K3sContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * -Pk3s: starts k3s in a container before the test JVM's tests and points them at it
 * ({@code it.kubeconfig}), so {@code @RealControlPlane} attaches to it instead of starting our
 * own control plane; stops it after them. k3s runs without its agent (no kubelet, no Node of its
 * own: the tests' simulated nodes are the only ones), without the admission plugin that taints new
 * nodes not-ready, and with a node grace period longer than any test, because no kubelet renews
 * the simulated nodes' leases. Never run on our machines (no Docker engine): compiled only.
 */
public final class K3sCluster implements LauncherSessionListener {
    private K3sContainer k3s;

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        if (!System.getProperty(ControlPlaneExtension.KUBECONFIG_PROPERTY, "").isBlank()) {
            return; // a cluster given explicitly wins
        }
        if (K3sCluster.class.getClassLoader().getResource("org/testcontainers/k3s/K3sContainer.class") == null) {
            return; // this class is left over in target/ from a -Pk3s build, but this build is without -Pk3s
        }
        if (!DockerClientFactory.instance().isDockerAvailable()) {
            throw new ControlPlaneException("-Pk3s needs a Docker engine for Testcontainers; without one, run the tests "
                    + "without -Pk3s (our own control plane) or with -Dit.kubeconfig");
        }
        k3s = new K3sContainer(DockerImageName.parse(image()).asCompatibleSubstituteFor("rancher/k3s"));
        k3s.withCommand("server", "--disable-agent", "--disable=traefik,servicelb,metrics-server,local-storage",
                "--tls-san=" + k3s.getHost(),
                "--kube-apiserver-arg=disable-admission-plugins=TaintNodesByCondition",
                "--kube-controller-manager-arg=node-monitor-grace-period=2h");
        k3s.start();
        try {
            Path kubeconfig = Files.createTempFile("k3s", ".kubeconfig");
            Files.writeString(kubeconfig, k3s.getKubeConfigYaml());
            System.setProperty(ControlPlaneExtension.KUBECONFIG_PROPERTY, kubeconfig.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void launcherSessionClosed(LauncherSession session) {
        if (k3s != null) {
            k3s.stop();
        }
    }

    private static String image() {
        try (InputStream in = K3sCluster.class.getResourceAsStream("k3s.properties")) {
            Properties properties = new Properties();
            properties.load(in);
            return properties.getProperty("image");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
