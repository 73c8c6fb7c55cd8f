package dev.calicorr.routereflector.plan;

import java.util.Map;

/**
 * What a plan amounts to, for metrics and the demo.
 *
 * @param desiredPerZone      RRs wanted per zone
 * @param actualPerZone       nodes serving as RRs now (cluster ID set), per zone
 * @param clientsPerReflector for each target RR, how many clients peer with it once applied
 * @param peerCount           BGPPeers of the target topology
 */
public record PlanSummary(int eligible, int desiredTotal, Map<String, Integer> desiredPerZone,
        Map<String, Integer> actualPerZone, Map<String, Integer> clientsPerReflector, int peerCount) {
    public PlanSummary {
        desiredPerZone = Map.copyOf(desiredPerZone);
        actualPerZone = Map.copyOf(actualPerZone);
        clientsPerReflector = Map.copyOf(clientsPerReflector);
    }
}
