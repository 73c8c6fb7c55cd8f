package dev.calicorr.routereflector.config;

import java.util.List;
import java.util.Locale;

/**
 * How many route reflectors the cluster wants for a number of eligible nodes, before the
 * {@code [min, max]} clamp: {@code linear} ({@code ceil(eligible × ratio)}) or {@code stepping}
 * (the reflectors of the last step whose {@code nodes} the cluster has reached).
 */
public sealed interface ReflectorCount {

    int wanted(int eligible);

    /** The {@code calculation} spelling. */
    String configName();

    record Linear(double ratio) implements ReflectorCount {
        @Override
        public int wanted(int eligible) {
            return (int) Math.min(Integer.MAX_VALUE, (long) Math.ceil(eligible * ratio - 1e-9));
        }

        @Override
        public String configName() {
            return "linear";
        }
    }

    /** @param steps validated by the parser: nodes strictly rising, reflectors never falling */
    record Stepping(List<Step> steps) implements ReflectorCount {
        public Stepping {
            steps = List.copyOf(steps);
        }

        @Override
        public int wanted(int eligible) {
            int reflectors = steps.get(0).reflectors();
            for (Step step : steps) {
                if (step.nodes() <= eligible) {
                    reflectors = step.reflectors();
                }
            }
            return reflectors;
        }

        @Override
        public String configName() {
            return "stepping";
        }
    }

    /** From {@code nodes} eligible nodes on, the cluster wants {@code reflectors} RRs. */
    record Step(int nodes, int reflectors) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "{nodes: %d, reflectors: %d}", nodes, reflectors);
        }
    }
}
