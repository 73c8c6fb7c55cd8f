package dev.calicorr.testsupport.bgp;

import dev.calicorr.testsupport.Commands;
import dev.calicorr.testsupport.ControlPlaneException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One simulated Calico node on real BGP: its network namespace, Calico's confd rendering BIRD's
 * config for it from the API, BIRD and bird6 in the namespace (as calico-node runs them), and
 * calico-node's status reporter filling its CalicoNodeStatus. The processes are ours by PID.
 */
public final class BgpNode {
    /** Where the status reporter dials BIRD; each reporter gets its own mount namespace with the node's sockets there. */
    static final Path CALICO_RUN = Path.of("/var/run/calico");

    private final String name;
    private final int index;
    private final String namespace;
    private final Path dir;
    private final Path sockets;
    private final CalicoParts parts;
    private final Map<String, String> calicoEnv;
    private Process confd;
    private volatile Process bird;
    private Process bird6;
    private Process reporter;
    /** Cleared before BIRD is killed or stopped, so a sample never counts a node that is going down as live. */
    private volatile boolean birdWanted;

    BgpNode(String name, int index, String namespace, Path dir, Path sockets, CalicoParts parts,
            Map<String, String> calicoEnv) {
        this.name = name;
        this.index = index;
        this.namespace = namespace;
        this.dir = dir;
        this.sockets = sockets;
        this.parts = parts;
        this.calicoEnv = Map.copyOf(calicoEnv);
    }

    /** Node {@code index}'s address: 198.18.0.{index}, in the benchmarking range. */
    static String address(int index) {
        if (index < 1 || index > 250) {
            throw new IllegalArgumentException("node index " + index + " is outside 1..250");
        }
        return "198.18.0." + index;
    }

    /** Node {@code index}'s pod block, which its BIRD exports: 198.19.{index}.0/26. */
    static String block(int index) {
        address(index);
        return "198.19." + index + ".0/26";
    }

    public String name() {
        return name;
    }

    public String ip() {
        return address(index);
    }

    public String block() {
        return block(index);
    }

    int index() {
        return index;
    }

    public String namespace() {
        return namespace;
    }

    /** This node's files: confd's config, BIRD's rendered config, every process's log. */
    public Path dir() {
        return dir;
    }

    public Path birdSocket() {
        return sockets.resolve("bird.ctl");
    }

    /**
     * Writes this node's copy of Calico's confd config: the shipped conf.d with its output paths and
     * reload commands pointed at this node, and the shipped templates with one substitution (below).
     */
    void writeConfdConfig() {
        try {
            Files.createDirectories(dir.resolve("config"));
            Files.createDirectories(dir.resolve("confd/conf.d"));
            Files.createDirectories(dir.resolve("confd/templates"));
            Files.createDirectories(sockets);
            try (Stream<Path> tomls = Files.list(parts.confd().resolve("conf.d"))) {
                for (Path toml : tomls.filter(p -> p.toString().endsWith(".toml")).toList()) {
                    String file = toml.getFileName().toString();
                    boolean v6 = file.startsWith("bird6");
                    // calico-node reloads with `sv hup bird`; here BIRD is told through its own socket
                    String reload = (v6 ? "birdc6 -s " + sockets.resolve("bird6.ctl") : "birdc -s " + birdSocket())
                            + " configure || true";
                    String text = Files.readString(toml)
                            .replace("/etc/calico/confd/config/", dir.resolve("config") + "/")
                            .replaceAll("(?m)^reload_cmd = .*$", "reload_cmd = \"" + reload + "\"");
                    Files.writeString(dir.resolve("confd/conf.d").resolve(file), text);
                }
            }
            try (Stream<Path> templates = Files.list(parts.confd().resolve("templates"))) {
                for (Path template : templates.toList()) {
                    Files.writeString(dir.resolve("confd/templates").resolve(template.getFileName()),
                            stockBird(Files.readString(template)));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The one change that lets Debian's BIRD load Calico's config: Calico's BIRD fork has a kernel
     * route attribute {@code krt_tunnel} (the IPIP device), which the IPv4 kernel filter assigns
     * ({@code ""} when IPIP is off, as here). Declaring it a local variable of that filter keeps every
     * template line as shipped and makes the assignment a no-op for stock BIRD.
     */
    static String stockBird(String template) {
        return template.replace("filter calico_kernel_programming {",
                "filter calico_kernel_programming string krt_tunnel; {");
    }

    void startConfd() {
        confd = start("confd", List.of(parts.bin("confd").toString(), "-confdir=" + dir.resolve("confd")));
    }

    /** confd has rendered both BIRD configs (it renders the includes first). */
    boolean configRendered() {
        return Files.exists(dir.resolve("config/bird.cfg")) && Files.exists(dir.resolve("config/bird6.cfg"));
    }

    /** Starts BIRD and bird6 in the node's namespace, as calico-node does ({@code -R}: graceful restart recovery). */
    public synchronized void startBird() {
        if (birdRunning()) {
            return;
        }
        birdWanted = true;
        bird = start("bird", List.of("ip", "netns", "exec", namespace, "bird", "-d", "-R", "-c",
                dir.resolve("config/bird.cfg").toString(), "-s", birdSocket().toString()));
        bird6 = start("bird6", List.of("ip", "netns", "exec", namespace, "bird6", "-d", "-R", "-c",
                dir.resolve("config/bird6.cfg").toString(), "-s", sockets.resolve("bird6.ctl").toString()));
    }

    /**
     * Kills BIRD and bird6 at once (SIGKILL): the node's BGP dies as in a crash; the kernel closes its
     * TCP sessions, so peers notice without waiting for the hold timer.
     */
    public synchronized void killBird() {
        birdWanted = false;
        kill(bird);
        kill(bird6);
    }

    public boolean birdRunning() {
        Process running = bird;
        return birdWanted && running != null && running.isAlive();
    }

    /** Starts calico-node's status reporter in a mount namespace of its own that shows this node's sockets where it dials. */
    void startReporter() {
        try {
            Files.createDirectories(CALICO_RUN);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        reporter = start("status-reporter", List.of("unshare", "--mount", "--propagation", "private", "sh", "-c",
                "mount --bind \"$0\" \"$1\" && exec \"$2\"", sockets.toString(), CALICO_RUN.toString(),
                parts.bin("calico-node-status").toString()));
    }

    /** BIRD's sessions and routes now; throws when BIRD does not answer. */
    public BirdState state() throws IOException {
        Instant at = Instant.now();
        List<BirdState.Session> sessions = BirdState.parseProtocols(BirdSocket.ask(birdSocket(), "show protocols"));
        return new BirdState(at, sessions, BirdState.parseRoutes(BirdSocket.ask(birdSocket(), "show route")));
    }

    /** BIRD's sessions and routes now, or none when it does not answer (stopped, or not started yet). */
    public BirdState stateOrEmpty() {
        try {
            return state();
        } catch (IOException e) {
            return new BirdState(Instant.now(), List.of(), java.util.Set.of());
        }
    }

    /** A BIRD command's reply as text, e.g. {@code show protocols} (what {@code birdc -s SOCK} prints). */
    public String birdc(String command) throws IOException {
        return String.join("\n", BirdSocket.ask(birdSocket(), command));
    }

    /** Stops every process of this node: reporter and confd first, then BIRD. */
    synchronized void stop() {
        birdWanted = false;
        for (Process process : new Process[] {reporter, confd, bird6, bird}) {
            Commands.terminate(process, Duration.ofSeconds(5));
        }
    }

    private Process start(String what, List<String> command) {
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(what + ".log").toFile()));
        builder.environment().putAll(calicoEnv);
        builder.environment().put("NODENAME", name);
        try {
            return builder.start();
        } catch (IOException e) {
            throw new ControlPlaneException("cannot start " + what + " of " + name + ": " + e.getMessage(), e);
        }
    }

    private static void kill(Process process) {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public String toString() {
        return name + "(" + ip() + ")";
    }
}
