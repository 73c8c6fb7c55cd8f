package dev.calicorr.routereflector.config;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** How route reflectors and their clients are arranged (docs/topologies.md). */
public enum TopologyType {
    /** One cluster ID shared by every RR; every client peers with every RR. */
    SINGLE,
    /** An own cluster ID per RR; each client peers with k RRs, RRs meshed among themselves. */
    MULTI,
    /** RRs in quorums of three sharing a cluster ID; each client peers with one quorum, RRs meshed. */
    QUORUM,
    /**
     * RRs per rack sharing the rack's cluster ID serve the rack's clients; spine RRs with their own
     * cluster ID peer with every RR, so rack RRs never mesh with each other.
     */
    HIERARCHY;

    /** The configuration spelling ({@code single}, {@code multi}, ...). */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Every spelling, for error messages: {@code single, multi, quorum, hierarchy}. */
    public static String configNames() {
        return Arrays.stream(values()).map(TopologyType::configName).collect(Collectors.joining(", "));
    }

    /** Parses the configuration spelling, or returns null when it names no topology. */
    public static TopologyType fromConfigName(String value) {
        for (TopologyType type : values()) {
            if (type.configName().equals(value)) {
                return type;
            }
        }
        return null;
    }
}
