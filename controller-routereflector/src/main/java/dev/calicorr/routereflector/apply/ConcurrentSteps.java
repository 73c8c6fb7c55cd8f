package dev.calicorr.routereflector.apply;

import dev.calicorr.core.kube.ApiUnavailableException;
import dev.calicorr.routereflector.plan.Step;
import io.kubernetes.client.common.KubernetesObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs a plan's {@linkplain Step#concurrent() concurrent} steps (client moves) a few at a time:
 * a first plan or a lost zone moves thousands of clients, one write each, and one write at a time
 * leaves the apiserver mostly idle. Bounded, so the controller never floods the apiserver; the
 * first failure stops new writes, the ones under way finish, and the failure is reported.
 */
final class ConcurrentSteps {
    /** Writes in flight at once, this thread included. */
    static final int WRITERS = 4;

    /** What runs one step: the hook, then the write. */
    interface Runner {
        KubernetesObject run(Step step) throws ApiUnavailableException, StepExecutor.StepFailedException;
    }

    /** What is told of each step that was written, in the batch's order, after the batch. */
    interface Written {
        void accept(Step step, KubernetesObject result);
    }

    private final ExecutorService helpers = Executors.newFixedThreadPool(WRITERS - 1, task -> {
        Thread thread = new Thread(task, "rr-concurrent-writes");
        thread.setDaemon(true); // never holds the process up at exit
        return thread;
    });

    /**
     * Runs {@code batch} on up to {@link #WRITERS} threads and tells {@code written} of each step
     * that succeeded, also when another failed.
     *
     * @return how many steps were written
     */
    int run(List<Step> batch, Runner runner, Written written)
            throws ApiUnavailableException, StepExecutor.StepFailedException {
        AtomicInteger next = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        KubernetesObject[] results = new KubernetesObject[batch.size()];
        boolean[] done = new boolean[batch.size()];
        Runnable worker = () -> {
            for (int k = next.getAndIncrement(); k < batch.size() && failure.get() == null; k = next.getAndIncrement()) {
                try {
                    results[k] = runner.run(batch.get(k));
                    done[k] = true;
                } catch (Exception | Error e) {
                    failure.compareAndSet(null, e);
                }
            }
        };
        List<Future<?>> started = new ArrayList<>();
        for (int i = 1; i < Math.min(WRITERS, batch.size()); i++) {
            started.add(helpers.submit(worker));
        }
        worker.run();
        boolean interrupted = false;
        for (Future<?> helper : started) {
            while (true) {
                try {
                    helper.get(); // the worker catches everything, and stops soon after a failure
                    break;
                } catch (InterruptedException e) {
                    interrupted = true; // finish the writes under way before giving up
                    failure.compareAndSet(null, new ApiUnavailableException("interrupted while writing", e));
                } catch (ExecutionException e) {
                    failure.compareAndSet(null, e.getCause());
                    break;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        int count = 0;
        for (int k = 0; k < batch.size(); k++) {
            if (done[k]) {
                written.accept(batch.get(k), results[k]);
                count++;
            }
        }
        Throwable failed = failure.get();
        if (failed instanceof ApiUnavailableException unavailable) {
            throw unavailable;
        } else if (failed instanceof StepExecutor.StepFailedException stepFailed) {
            throw stepFailed;
        } else if (failed instanceof RuntimeException runtime) {
            throw runtime;
        } else if (failed instanceof Error error) {
            throw error;
        }
        return count;
    }
}
