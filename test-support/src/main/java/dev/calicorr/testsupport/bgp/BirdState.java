package dev.calicorr.testsupport.bgp;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What one node's BIRD says at one moment: its BGP sessions ({@code show protocols}) and the
 * prefixes in its routing table ({@code show route}).
 */
public record BirdState(Instant at, List<Session> sessions, Set<String> prefixes) {
    private static final Pattern PREFIX = Pattern.compile("^(\\d+\\.\\d+\\.\\d+\\.\\d+/\\d+)\\s");
    /** Calico names a BGP protocol after its peer's address: Node_198_18_0_5, Mesh_..., Global_.... */
    private static final Pattern BGP_NAME = Pattern.compile("^(?:Node|Mesh|Global)_(\\d+)_(\\d+)_(\\d+)_(\\d+)(?:_port_\\d+)?$");

    /** One BGP protocol of BIRD: its name, the peer's address, its state and info ({@code Established}). */
    public record Session(String name, String peerIp, String state, String info) {
        public boolean established() {
            return "up".equals(state) && info.contains("Established");
        }
    }

    public BirdState {
        sessions = List.copyOf(sessions);
        prefixes = Set.copyOf(prefixes);
    }

    public List<Session> established() {
        return sessions.stream().filter(Session::established).toList();
    }

    /** Parses {@code show protocols} lines (header first) as {@link BirdSocket} returns them. */
    static List<Session> parseProtocols(List<String> lines) {
        List<Session> sessions = new ArrayList<>();
        for (String line : lines) {
            String[] fields = line.trim().split("\\s+", 6);
            if (fields.length < 4 || !"BGP".equals(fields[1])) {
                continue;
            }
            Matcher name = BGP_NAME.matcher(fields[0]);
            String peer = name.matches() ? name.group(1) + "." + name.group(2) + "." + name.group(3) + "." + name.group(4)
                    : "";
            String info = fields.length >= 6 ? fields[5].trim() : "";
            sessions.add(new Session(fields[0], peer, fields[3], info));
        }
        return sessions;
    }

    /** Parses {@code show route} lines: one prefix per route line; continuation lines (ECMP, alternatives) have none. */
    static Set<String> parseRoutes(List<String> lines) {
        Set<String> prefixes = new LinkedHashSet<>();
        for (String line : lines) {
            Matcher prefix = PREFIX.matcher(line);
            if (prefix.find()) {
                prefixes.add(prefix.group(1));
            }
        }
        return prefixes;
    }
}
