package dev.calicorr.routereflector.config;

import java.util.Optional;

/**
 * The {@code clusterId} setting: an IPv4 address whose zero octets are filled with an RR's index
 * in the {@code multi} topology ({@code 224.0.0.0} gives 224.0.0.1, 224.0.0.2, ...). The zero
 * octets, read together as one base-256 number, bound how many distinct IDs there are.
 */
public record ClusterIdTemplate(long base, int freeOctets) {

    public static final ClusterIdTemplate DEFAULT = parse("224.0.0.0");

    /** Parses a dotted IPv4 address; throws IllegalArgumentException saying what is wrong. */
    public static ClusterIdTemplate parse(String text) {
        long value = parseIpv4(text)
                .orElseThrow(() -> new IllegalArgumentException("'" + text + "' is not an IPv4 address"));
        int free = 0;
        for (int shift = 0; shift < 32 && ((value >>> shift) & 0xff) == 0; shift += 8) {
            free++;
        }
        return new ClusterIdTemplate(value, free);
    }

    /** The dotted IPv4 form of the value, or empty when the text is not one. */
    public static Optional<Long> parseIpv4(String text) {
        if (text == null) {
            return Optional.empty();
        }
        String[] parts = text.trim().split("\\.", -1);
        if (parts.length != 4) {
            return Optional.empty();
        }
        long value = 0;
        for (String part : parts) {
            if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(Character::isDigit)) {
                return Optional.empty();
            }
            int octet = Integer.parseInt(part);
            if (octet > 255) {
                return Optional.empty();
            }
            value = (value << 8) | octet;
        }
        return Optional.of(value);
    }

    /** How many indexes ({@code 1..capacity}) give distinct IDs; 0 when no octet is zero. */
    public long capacity() {
        return freeOctets == 0 ? 0 : (1L << (8 * freeOctets)) - 1;
    }

    /** The cluster ID of the RR with this index (1-based). */
    public String idFor(int index) {
        if (index < 1 || index > capacity()) {
            throw new IllegalArgumentException("index " + index + " outside 1.." + capacity() + " for " + this);
        }
        return format(base | index);
    }

    /** The index whose ID this is, or empty when the ID was not made from this template. */
    public Optional<Integer> indexOf(String clusterId) {
        return parseIpv4(clusterId)
                .filter(v -> freeOctets > 0)
                .filter(v -> (v & ~mask()) == base)
                .map(v -> (int) (v & mask()))
                .filter(i -> i >= 1);
    }

    /** The template itself as an ID: the one ID of the {@code single} topology. */
    public String sharedId() {
        return format(base);
    }

    private long mask() {
        return capacity();
    }

    private static String format(long value) {
        return ((value >>> 24) & 0xff) + "." + ((value >>> 16) & 0xff) + "." + ((value >>> 8) & 0xff) + "." + (value & 0xff);
    }

    @Override
    public String toString() {
        return sharedId();
    }
}
