package dev.calicorr.routereflector.sim;

import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.plan.Plan;
import dev.calicorr.routereflector.plan.Planner;
import dev.calicorr.routereflector.plan.Step;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Plans and applies step by step, as the controller does, checking after every single step that
 * no node that had a route reflector session lost its last one. (The node-to-node mesh only joins
 * nodes without a cluster ID, so it never adds a reflector session: the check holds for both.)
 * Above {@link #PER_STEP_LIMIT} nodes the check runs after the whole plan only, to stay fast.
 */
public final class Convergence {
    static final int PER_STEP_LIMIT = 400;

    private Convergence() {
    }

    /** Applies one plan; returns it. Throws AssertionError naming the step that broke safety. */
    public static Plan applyOnce(ClusterModel model, RouteReflectorConfig config, Instant now) {
        Plan plan = Planner.plan(model.snapshot(), config, now);
        Set<String> servedBefore = served(model);
        boolean perStep = model.nodes().size() <= PER_STEP_LIMIT;
        int i = 0;
        for (Step step : plan.steps()) {
            model.apply(step);
            i++;
            if (perStep || i == plan.steps().size()) {
                check(model, servedBefore, step, i, plan);
            }
        }
        return plan;
    }

    /** Re-plans until nothing is left to do (at most {@code rounds} plans); returns the rounds used. */
    public static int converge(ClusterModel model, RouteReflectorConfig config, Instant now, int rounds) {
        StringBuilder history = new StringBuilder();
        for (int round = 1; round <= rounds; round++) {
            Plan plan = applyOnce(model, config, now);
            if (plan.steps().isEmpty()) {
                return round;
            }
            history.append("\nROUND ").append(round).append(' ').append(plan.decisions()).append(' ').append(plan.warnings());
        }
        throw new AssertionError("no convergence after " + rounds + " plans; last: "
                + Planner.plan(model.snapshot(), config, now).steps() + "; decisions and warnings per plan:" + history);
    }

    /** Up nodes without a cluster ID that have a session to an up route reflector. */
    static Set<String> served(ClusterModel model) {
        Bgp bgp = new Bgp(model.nodes(), model.peers(), false, Set.of());
        Set<String> served = new HashSet<>();
        for (String node : bgp.upNodes()) {
            if (bgp.hasReflector(node)) {
                served.add(node);
            }
        }
        return served;
    }

    private static void check(ClusterModel model, Set<String> servedBefore, Step step, int index, Plan plan) {
        Bgp bgp = new Bgp(model.nodes(), model.peers(), false, Set.of());
        for (String node : servedBefore) {
            if (bgp.upNodes().contains(node) && Bgp.clusterId(model.node(node)) == null && !bgp.hasReflector(node)) {
                throw new AssertionError("after step " + index + " (" + step + ") node " + node
                        + " lost its last route reflector session; plan: "
                        + List.copyOf(plan.steps()));
            }
        }
    }
}
