package dev.calicorr.routereflector.apply;

import dev.calicorr.routereflector.plan.Step;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** A step hook that lets a number of steps through, then crashes the controller for good. */
final class CrashAfter implements RouteReflectorReconciler.StepHook {
    private final int limit;
    private final Runnable onCrash;
    final AtomicInteger steps = new AtomicInteger();
    final AtomicBoolean crashed = new AtomicBoolean();

    CrashAfter(int limit, Runnable onCrash) {
        this.limit = limit;
        this.onCrash = onCrash;
    }

    @Override
    public void beforeStep(Step step) {
        if (crashed.get() || steps.get() >= limit) {
            if (!crashed.getAndSet(true)) {
                onCrash.run();
            }
            throw new IllegalStateException("simulated crash before " + step);
        }
        steps.incrementAndGet();
    }
}
