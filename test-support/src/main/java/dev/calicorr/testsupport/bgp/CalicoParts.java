package dev.calicorr.testsupport.bgp;

import dev.calicorr.testsupport.Commands;
import dev.calicorr.testsupport.ControlPlane;
import dev.calicorr.testsupport.ControlPlaneException;
import dev.calicorr.testsupport.ProcessResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Calico's own parts, built by {@code hack/calico/build.sh} from the pinned calico Go module: the
 * binaries, confd's templates and conf.d as that version ships them, and that version's CRDs.
 */
public record CalicoParts(Path dir) {

    /** Builds (first time on a machine, a few minutes) or finds the cached parts for the pins. */
    public static CalicoParts build(Path repoRoot) {
        ProcessResult result = Commands.run(List.of("bash", repoRoot.resolve("hack/calico/build.sh").toString()),
                repoRoot, Duration.ofMinutes(30));
        if (!result.ok()) {
            String err = result.stderr();
            throw new ControlPlaneException("hack/calico/build.sh failed (exit " + result.exitCode() + "):\n"
                    + err.substring(Math.max(0, err.length() - 4000)));
        }
        String[] lines = result.stdout().trim().split("\n");
        CalicoParts parts = new CalicoParts(Paths.get(lines[lines.length - 1].trim()));
        for (String binary : List.of("confd", "calico-node-status", "calicoctl", "kube-controllers")) {
            if (!Files.isExecutable(parts.bin(binary))) {
                throw new ControlPlaneException("hack/calico/build.sh left no " + parts.bin(binary));
            }
        }
        return parts;
    }

    public Path bin(String name) {
        return dir.resolve("bin").resolve(name);
    }

    /** confd's {@code conf.d/} and {@code templates/} as Calico ships them (read-only copies). */
    public Path confd() {
        return dir.resolve("confd");
    }

    /** The {@code crd.projectcalico.org} CRDs of this Calico version, one file each. */
    public Path crds() {
        return dir.resolve("crds");
    }

    /**
     * Applies this version's CRDs, server side so they replace our newer copies ({@link
     * ControlPlane#installCrds()} puts ours back). KubeControllersConfiguration's only when asked:
     * the real-BGP tests keep ours (the superset with our section), while upstream kube-controllers
     * needs its own (ours has the status subresource of later Calico, which its plain updates of
     * {@code status} cannot write).
     */
    public void installCrds(ControlPlane plane, boolean withKubeControllersConfiguration) {
        try (Stream<Path> files = Files.list(crds())) {
            List<Path> applied = files.filter(f -> f.toString().endsWith(".yaml"))
                    .filter(f -> withKubeControllersConfiguration
                            || !f.getFileName().toString().contains("kubecontrollersconfigurations"))
                    .sorted().toList();
            List<String> args = new ArrayList<>(List.of("apply", "--server-side", "--force-conflicts"));
            applied.forEach(f -> {
                args.add("-f");
                args.add(f.toString());
            });
            kubectl(plane, args.toArray(String[]::new));
            kubectl(plane, "wait", "--for", "condition=established", "--timeout", "60s", "crd", "--all");
            // file crd.projectcalico.org_<plural>.yaml defines <plural>.crd.projectcalico.org
            plane.awaitServed(applied.stream().map(f -> f.getFileName().toString().replaceFirst("^([^_]+)_(.+)\\.yaml$",
                    "$2.$1")).toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void kubectl(ControlPlane plane, String... args) {
        ProcessResult result = plane.kubectl(args);
        if (!result.ok()) {
            throw new ControlPlaneException("kubectl " + args[0] + " failed: " + result.stderr());
        }
    }
}
