package dev.calicorr.routereflector.plan;

import dev.calicorr.routereflector.model.PeerFacts;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The planner's answer: the ordered writes that take the cluster from what was observed to the
 * target topology (empty when they agree), the decisions behind them, and when to look again.
 *
 * @param desiredPeers the BGPPeers of the target topology
 * @param recheckAfter when a timed transition (removalDelay) is due, if one is pending
 */
public record Plan(List<Step> steps, List<Decision> decisions, PlanSummary summary, List<String> warnings,
        List<PeerFacts> desiredPeers, Optional<Duration> recheckAfter) {
    public Plan {
        steps = List.copyOf(steps);
        decisions = List.copyOf(decisions);
        warnings = List.copyOf(warnings);
        desiredPeers = List.copyOf(desiredPeers);
    }
}
