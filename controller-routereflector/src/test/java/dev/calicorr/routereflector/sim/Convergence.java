package dev.calicorr.routereflector.sim;

import dev.calicorr.routereflector.config.RouteReflectorConfig;
import dev.calicorr.routereflector.plan.Plan;
import dev.calicorr.routereflector.plan.Planner;
import dev.calicorr.routereflector.plan.Step;
import dev.calicorr.routereflector.model.NodeFacts;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Plans and applies step by step, as the controller does, checking after every single write the
 * transition invariant: each client (an up node without a cluster ID) that had a route reflector
 * session when the plan began, and before the write, still has one that existed before it, with a
 * node that served (had a cluster ID) before it and still does. (A node unserved when the plan
 * began, new or back from NotReady, may take sessions and leave them within the plan: it only
 * gains.) Sessions come from {@link Bgp}, without the node-to-node mesh (it only joins nodes
 * without a cluster ID, so it never adds a reflector session).
 * Above {@link #PER_STEP_LIMIT} nodes only the weaker check runs, after the whole plan: no node
 * that was served before the plan lost its last reflector session.
 */
public final class Convergence {
    static final int PER_STEP_LIMIT = 400;

    private Convergence() {
    }

    /** Applies one plan; returns it. Throws AssertionError naming the write that broke safety. */
    public static Plan applyOnce(ClusterModel model, RouteReflectorConfig config, Instant now) {
        Plan plan = Planner.plan(model.snapshot(), config, now);
        if (model.nodes().size() > PER_STEP_LIMIT) {
            Set<String> servedBefore = served(model);
            plan.steps().forEach(model::apply);
            checkServed(model, servedBefore, plan);
            return plan;
        }
        Bgp before = new Bgp(model.nodes(), model.peers(), false, Set.of());
        Map<String, String> idsBefore = clusterIds(model);
        Set<String> servedAtStart = served(model);
        int i = 0;
        for (Step step : plan.steps()) {
            model.apply(step);
            i++;
            Bgp after = new Bgp(model.nodes(), model.peers(), false, Set.of());
            Map<String, String> idsAfter = clusterIds(model);
            checkTransition(before, idsBefore, after, idsAfter, servedAtStart, step, i, plan);
            before = after;
            idsBefore = idsAfter;
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

    private static Map<String, String> clusterIds(ClusterModel model) {
        Map<String, String> ids = new HashMap<>();
        for (NodeFacts node : model.nodes()) {
            String id = Bgp.clusterId(node);
            if (id != null) {
                ids.put(node.name(), id);
            }
        }
        return ids;
    }

    private static void checkTransition(Bgp before, Map<String, String> idsBefore, Bgp after,
            Map<String, String> idsAfter, Set<String> servedAtStart, Step step, int index, Plan plan) {
        for (String node : after.upNodes()) {
            if (idsAfter.containsKey(node)) {
                continue; // a reflector: served by its own role
            }
            if (!servedAtStart.contains(node)) {
                continue; // unserved when the plan began (new, or back from NotReady): it only gains
            }
            Set<String> had = before.sessionsOf(node);
            if (had.stream().noneMatch(idsBefore::containsKey)) {
                continue; // nothing to keep: it had no reflector session before this write
            }
            boolean kept = after.sessionsOf(node).stream()
                    .anyMatch(rr -> had.contains(rr) && idsBefore.containsKey(rr) && idsAfter.containsKey(rr));
            if (!kept) {
                throw new AssertionError("after write " + index + " (" + step + ") client " + node
                        + " has no reflector session that existed before it (before: " + new TreeSet<>(had)
                        + ", after: " + new TreeSet<>(after.sessionsOf(node)) + "); plan (break phase from "
                        + plan.breakFrom() + "): " + List.copyOf(plan.steps()));
            }
        }
    }

    private static void checkServed(ClusterModel model, Set<String> servedBefore, Plan plan) {
        Bgp bgp = new Bgp(model.nodes(), model.peers(), false, Set.of());
        for (String node : servedBefore) {
            if (bgp.upNodes().contains(node) && Bgp.clusterId(model.node(node)) == null && !bgp.hasReflector(node)) {
                throw new AssertionError("after the plan node " + node + " lost its last route reflector session; plan: "
                        + List.copyOf(plan.steps()));
            }
        }
    }
}
