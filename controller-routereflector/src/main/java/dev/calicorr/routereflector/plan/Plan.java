package dev.calicorr.routereflector.plan;

import dev.calicorr.routereflector.model.PeerFacts;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The planner's answer: the ordered writes that take the cluster from what was observed to the
 * target topology (empty when they agree), the decisions behind them, and when to look again.
 *
 * <p>The steps come in two phases. The make steps (the first {@code breakFrom}) only add BGP
 * sessions: labels, new and widened peers, cluster IDs, moves of clients into a group that shares a
 * serving RR with their current one. The break steps (the rest) remove sessions: narrowed and
 * deleted peers, other client moves, demotions. The applier runs the break steps only once the
 * sessions the make steps created are up.
 *
 * @param breakFrom    the index of the first break step ({@code steps.size()} when there is none)
 * @param desiredPeers the BGPPeers of the target topology
 * @param recheckAfter when a timed transition (removalDelay) is due, if one is pending
 */
public record Plan(List<Step> steps, int breakFrom, List<Decision> decisions, PlanSummary summary,
        List<String> warnings, List<PeerFacts> desiredPeers, Optional<Duration> recheckAfter) {
    public Plan {
        steps = List.copyOf(steps);
        if (breakFrom < 0 || breakFrom > steps.size()) {
            throw new IllegalArgumentException("breakFrom " + breakFrom + " outside the " + steps.size() + " steps");
        }
        decisions = List.copyOf(decisions);
        warnings = List.copyOf(warnings);
        desiredPeers = List.copyOf(desiredPeers);
    }

    /** Steps in order, with the index of the first break step. */
    record Phases(List<Step> steps, int breakFrom) {
    }

    /** The steps that only add sessions. */
    public List<Step> makeSteps() {
        return steps.subList(0, breakFrom);
    }

    /** The steps that remove sessions: run once the make steps' sessions are up. */
    public List<Step> breakSteps() {
        return steps.subList(breakFrom, steps.size());
    }
}
