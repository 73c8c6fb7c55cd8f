package dev.calicorr.routereflector.cli;

import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.model.NodeFacts;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Deterministic synthetic clusters, as {@code --synthetic nodes=5000,zones=3} describes them: Ready,
 * schedulable, untainted nodes with EC2-style names and the labels of a real cluster, each in a
 * pseudo-random zone, created at pseudo-random times in the year before {@link #NOW}. The same
 * spec gives the same nodes, here and in the benchmarks.
 */
public final class SyntheticCluster {
    /** The clock of synthetic clusters: nodes are created before it, and they are planned at it. */
    public static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
    public static final long DEFAULT_SEED = 20260101L;
    public static final int MAX_NODES = 1_000_000;
    public static final int MAX_ZONES = 26;
    public static final int MAX_RACKS = 1_000;
    /** Labels every node of a real cluster carries besides zone and hostname. */
    private static final Map<String, String> COMMON_LABELS = Map.of(
            "topology.kubernetes.io/region", "region-1",
            "kubernetes.io/arch", "amd64",
            "kubernetes.io/os", "linux",
            "node.kubernetes.io/instance-type", "m5.2xlarge",
            "beta.kubernetes.io/arch", "amd64",
            "beta.kubernetes.io/os", "linux");
    private static final int YEAR_SECONDS = 365 * 24 * 3600;

    private SyntheticCluster() {
    }

    /**
     * What to generate.
     *
     * @param racks racks per zone; 0: nodes carry no rack label
     * @param seed  of the zones and creation times
     */
    public record Spec(int nodes, int zones, int racks, long seed) {
        public Spec {
            if (nodes < 1 || nodes > MAX_NODES) {
                throw new IllegalArgumentException("nodes must be from 1 to " + MAX_NODES + ", got " + nodes);
            }
            if (zones < 1 || zones > MAX_ZONES) {
                throw new IllegalArgumentException("zones must be from 1 to " + MAX_ZONES + ", got " + zones);
            }
            if (racks < 0 || racks > MAX_RACKS) {
                throw new IllegalArgumentException("racks must be from 0 to " + MAX_RACKS + ", got " + racks);
            }
        }

        /**
         * Parses {@code nodes=N[,zones=Z][,racks=K][,seed=S]}: zones default to 1, racks to 0 (no
         * rack label), the seed to {@link #DEFAULT_SEED}.
         *
         * @throws IllegalArgumentException naming what is wrong
         */
        public static Spec parse(String text) {
            Map<String, Long> values = new LinkedHashMap<>();
            for (String part : text.split(",", -1)) {
                int eq = part.indexOf('=');
                String key = eq < 0 ? part.trim() : part.substring(0, eq).trim();
                if (eq < 0 || !List.of("nodes", "zones", "racks", "seed").contains(key)) {
                    throw new IllegalArgumentException("'" + part.trim() + "' is not one of nodes=N, zones=Z, "
                            + "racks=K (per zone), seed=S");
                }
                String value = part.substring(eq + 1).trim();
                try {
                    if (values.put(key, Long.parseLong(value)) != null) {
                        throw new IllegalArgumentException(key + " is given twice");
                    }
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(key + " must be a whole number, got '" + value + "'");
                }
            }
            if (!values.containsKey("nodes")) {
                throw new IllegalArgumentException("nodes=N is required, e.g. nodes=5000,zones=3");
            }
            return new Spec(small(values, "nodes", 0), small(values, "zones", 1), small(values, "racks", 0),
                    values.getOrDefault("seed", DEFAULT_SEED));
        }

        private static int small(Map<String, Long> values, String key, int otherwise) {
            long value = values.getOrDefault(key, (long) otherwise);
            if (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(key + " is out of range: " + value);
            }
            return (int) value;
        }

        @Override
        public String toString() {
            return "nodes=" + nodes + ",zones=" + zones + (racks > 0 ? ",racks=" + racks : "")
                    + (seed != DEFAULT_SEED ? ",seed=" + seed : "");
        }
    }

    /**
     * The nodes of a spec, sorted by index.
     *
     * @param zoneLabel the label naming a node's zone ({@code zone-a}, {@code zone-b} ...)
     * @param rackLabel the label naming a node's rack ({@code zone-a-rack-1} ...), when the spec has racks
     */
    public static List<NodeFacts> nodes(Spec spec, String zoneLabel, String rackLabel) {
        Random random = new Random(spec.seed());
        List<NodeFacts> nodes = new ArrayList<>(spec.nodes());
        int[] inZone = new int[spec.zones()];
        for (int i = 0; i < spec.nodes(); i++) {
            Instant created = NOW.minusSeconds(3600 + random.nextInt(YEAR_SECONDS));
            int z = random.nextInt(spec.zones());
            Map<String, String> labels = labels(i, zoneLabel, zone(z));
            if (spec.racks() > 0) {
                labels.put(rackLabel, zone(z) + "-rack-" + (inZone[z] % spec.racks() + 1));
            }
            inZone[z]++;
            nodes.add(new NodeFacts(name(i), labels, Map.of(), true, false, List.of(), created));
        }
        return nodes;
    }

    /** The nodes of a spec with the default zone and rack labels. */
    public static List<NodeFacts> nodes(Spec spec) {
        return nodes(spec, RouteReflectorConfig.DEFAULT_ZONE_LABEL, RouteReflectorConfig.DEFAULT_RACK_LABEL);
    }

    /** A Ready, schedulable, untainted node with the usual labels, the {@code i}th of its cluster. */
    public static NodeFacts node(int i, String zone, Instant created) {
        return new NodeFacts(name(i), labels(i, RouteReflectorConfig.DEFAULT_ZONE_LABEL, zone), Map.of(), true, false,
                List.of(), created);
    }

    private static Map<String, String> labels(int i, String zoneLabel, String zone) {
        Map<String, String> labels = new HashMap<>(COMMON_LABELS);
        labels.put(RouteReflectorConfig.DEFAULT_HOSTNAME_LABEL, name(i));
        labels.put(zoneLabel, zone);
        return labels;
    }

    /** {@code zone-a}, {@code zone-b} ... */
    public static String zone(int z) {
        return "zone-" + (char) ('a' + z);
    }

    /** EC2-style name, unique for i below 2^24. */
    public static String name(int i) {
        return "ip-10-" + ((i >>> 16) & 0xff) + "-" + ((i >>> 8) & 0xff) + "-" + (i & 0xff) + ".ec2.internal";
    }
}
