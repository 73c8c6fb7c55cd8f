package dev.calicorr.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image of -Pimage, started: its layers unpacked over its base, run as the image config says
 * (entrypoint, user, environment) in new mount and PID namespaces, with the root file system
 * read-only and a tmpfs on /tmp as the Deployment mounts an emptyDir there. Not an OCI runtime: the
 * runtimes Debian has (podman with crun) cannot create cgroups on this machine, so this proves the
 * image's file system and config, not the runtime's isolation (docs/testing.md). Runs with
 * {@code -Pimage} (which sets image.tarball) as root; skipped otherwise.
 */
class ImageRunIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static ImageTarball image;
    static Path root;

    @BeforeAll
    static void unpack() throws Exception {
        String tarball = System.getProperty("image.tarball", "");
        assumeTrue(!tarball.isEmpty(), "no -Pimage: the image is not built in this run");
        assumeTrue("root".equals(System.getProperty("user.name")), "unshare and chroot need root");
        image = ImageTarball.open(Path.of(tarball), Files.createDirectory(dir.resolve("image")));
        root = Files.createDirectory(dir.resolve("root"));
        image.unpackInto(root);
    }

    record Run(int exit, String output) {
    }

    /** The image's entrypoint with {@code args}, as a container runtime would start it. */
    private static Run run(String... args) throws Exception {
        JsonNode config = image.config().get("config");
        List<String> inside = new ArrayList<>(List.of("env", "-i"));
        config.get("Env").forEach(e -> inside.add(e.asText()));
        config.get("Entrypoint").forEach(word -> inside.add(word.asText()));
        inside.addAll(List.of(args));
        String r = root.toString();
        String script = String.join(" && ", "mount --bind " + r + " " + r,
                "mount -o remount,bind,ro " + r, "mount -t proc proc " + r + "/proc",
                "mount -t tmpfs -o mode=1777 tmpfs " + r + "/tmp",
                "exec chroot --userspec=" + config.get("User").asText() + " " + r + " \"$@\"");
        List<String> command = new ArrayList<>(List.of("unshare", "--mount", "--pid", "--fork", "--propagation",
                "private", "sh", "-c", script, "sh"));
        command.addAll(inside);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("exits within 120 s").isTrue();
        return new Run(process.exitValue(), new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    @Test
    void theHostStartsFromTheImageAndPrintsItsHelp() throws Exception {
        Run help = run("--help");

        assertThat(help.exit()).as(help.output()).isZero();
        assertThat(help.output()).startsWith("Usage: kube-controllers").contains("--standalone", "plan");
    }

    @Test
    void thePlanCommandRunsInTheImageOnAReadOnlyRootAsNobody() throws Exception {
        Run plan = run("plan", "--synthetic", "nodes=500,zones=3", "-o", "json");

        assertThat(plan.exit()).as(plan.output()).isZero();
        JsonNode report = JSON.readTree(plan.output());
        assertThat(report.at("/nodes/total").asInt()).isEqualTo(500);
        assertThat(report.at("/nodes/reflectors").asInt()).isEqualTo(3);
    }
}
