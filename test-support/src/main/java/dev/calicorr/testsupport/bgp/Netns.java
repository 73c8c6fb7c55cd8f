package dev.calicorr.testsupport.bgp;

import dev.calicorr.testsupport.Commands;
import dev.calicorr.testsupport.ControlPlaneException;
import dev.calicorr.testsupport.ProcessResult;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The network namespaces of one {@link BgpNetwork}: a switch namespace holding a bridge, and one
 * namespace per node joined to it by a veth pair whose ends are created directly inside the two
 * namespaces, so nothing is ever added to the host's own namespace. Every name carries the
 * network's unique prefix; only namespaces this object created are deleted.
 */
final class Netns {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private final String prefix;
    private final String switchNs;
    private final List<String> created = new ArrayList<>();

    Netns(String prefix) {
        this.prefix = prefix;
        this.switchNs = prefix + "-sw";
    }

    void createSwitch() {
        add(switchNs);
        ip("-n", switchNs, "link", "add", "br0", "type", "bridge");
        ip("-n", switchNs, "link", "set", "br0", "up");
    }

    /** The namespace of node {@code index}, with {@code eth0} at {@code cidr} on the bridge. */
    String createNode(int index, String cidr) {
        String ns = nodeNs(index);
        add(ns);
        String port = "v" + index;
        ip("link", "add", "eth0", "netns", ns, "type", "veth", "peer", "name", port, "netns", switchNs);
        ip("-n", switchNs, "link", "set", port, "master", "br0", "up");
        ip("-n", ns, "addr", "add", cidr, "dev", "eth0");
        ip("-n", ns, "link", "set", "lo", "up");
        ip("-n", ns, "link", "set", "eth0", "up");
        return ns;
    }

    String nodeNs(int index) {
        return prefix + "-" + index;
    }

    /** Deletes a node's namespace (its veth pair goes with it). */
    void deleteNode(int index) {
        delete(nodeNs(index));
    }

    /** Deletes every namespace this object created, nodes first. */
    void deleteAll() {
        List<String> all = new ArrayList<>(created);
        java.util.Collections.reverse(all);
        for (String ns : all) {
            delete(ns);
        }
    }

    private void add(String ns) {
        ip("netns", "add", ns);
        created.add(ns);
    }

    private void delete(String ns) {
        if (created.remove(ns)) {
            Commands.run(List.of("ip", "netns", "delete", ns), Path.of("/"), TIMEOUT);
        }
    }

    private static void ip(String... args) {
        List<String> command = new ArrayList<>(List.of("ip"));
        command.addAll(List.of(args));
        ProcessResult result = Commands.run(command, Path.of("/"), TIMEOUT);
        if (!result.ok()) {
            throw new ControlPlaneException(String.join(" ", command) + " failed: " + result.stderr().trim());
        }
    }
}
