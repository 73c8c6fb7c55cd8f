package dev.calicorr.testsupport;

import java.nio.file.Paths;
import java.util.concurrent.CountDownLatch;

/**
 * Starts a control plane on its own and keeps it up until the process is stopped (Ctrl-C, SIGTERM),
 * for tests run apart against it: {@code mvn verify -Dit.kubeconfig=<the admin kubeconfig printed>}.
 */
public final class ControlPlaneMain {
    private ControlPlaneMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        ControlPlane plane = ControlPlane.start(Paths.get(args.length > 0 ? args[0] : "target/control-plane"));
        System.out.println("control plane up at " + plane.url() + "; admin kubeconfig: " + plane.adminKubeconfig());
        System.out.println("run tests against it with -Dit.kubeconfig=" + plane.adminKubeconfig());
        System.out.flush();
        new CountDownLatch(1).await(); // the shutdown hook of ControlPlane stops the processes
    }
}
