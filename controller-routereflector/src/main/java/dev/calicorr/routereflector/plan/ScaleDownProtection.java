package dev.calicorr.routereflector.plan;

import dev.calicorr.routereflector.model.Names;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The annotations that keep cluster-autoscaler and Karpenter from removing a serving route
 * reflector: an RR that disappears with its node takes its clients' sessions with it before its
 * successor is up. We add each one only where it is absent, record which we added in
 * {@link Names#SCALE_DOWN_PROTECTION_ANNOTATION}, and remove exactly those once the node no longer
 * serves (or the protection is turned off); an annotation the operator set is never touched.
 */
final class ScaleDownProtection {
    /** The annotations, in the order they are written and listed. */
    static final List<String> KEYS = List.of(Names.SCALE_DOWN_DISABLED_ANNOTATION, Names.DO_NOT_DISRUPT_ANNOTATION);

    private ScaleDownProtection() {
    }

    /**
     * Puts into {@code want} the values of the protection annotations for a node with these
     * annotations: protected when {@code serving}, else none of ours (null removes a key).
     */
    static void wanted(Map<String, String> annotations, boolean serving, Map<String, String> want) {
        Set<String> ours = ours(annotations);
        List<String> keep = new ArrayList<>();
        for (String key : KEYS) {
            boolean mine = ours.contains(key);
            if (serving && (mine || !annotations.containsKey(key))) {
                want.put(key, "true");
                keep.add(key);
            } else if (mine) {
                want.put(key, null);
            }
        }
        want.put(Names.SCALE_DOWN_PROTECTION_ANNOTATION, keep.isEmpty() ? null : String.join(",", keep));
    }

    /** The annotations of a node that no longer serves: none of ours. */
    static Map<String, String> removed(Map<String, String> annotations) {
        Map<String, String> want = new LinkedHashMap<>();
        wanted(annotations, false, want);
        return want;
    }

    private static Set<String> ours(Map<String, String> annotations) {
        String listed = annotations.get(Names.SCALE_DOWN_PROTECTION_ANNOTATION);
        return listed == null ? Set.of() : new HashSet<>(Arrays.asList(listed.split(",")));
    }
}
