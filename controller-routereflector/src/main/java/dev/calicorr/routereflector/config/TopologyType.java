package dev.calicorr.routereflector.config;

import java.util.Locale;

/** How route reflectors and their clients are arranged (docs/topologies.md). */
public enum TopologyType {
    /** One cluster ID shared by every RR; every client peers with every RR. */
    SINGLE,
    /** An own cluster ID per RR; each client peers with k RRs, RRs meshed among themselves. */
    MULTI;

    /** The configuration spelling ({@code single}, {@code multi}). */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
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
