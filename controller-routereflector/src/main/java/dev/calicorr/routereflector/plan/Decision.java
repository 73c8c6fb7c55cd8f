package dev.calicorr.routereflector.plan;

/**
 * A topology decision, rendered as one operator log line, e.g.
 * {@code zone=b promote node-17 clusterID=224.0.0.4 reason=below-target(2<3)}.
 *
 * @param action {@code promote}, {@code demote} or {@code move}
 */
public record Decision(String zone, String action, String node, String detail, String reason) {
    @Override
    public String toString() {
        return "zone=" + (zone.isEmpty() ? "\"\"" : zone) + " " + action + " " + node
                + (detail.isEmpty() ? "" : " " + detail) + " reason=" + reason;
    }
}
