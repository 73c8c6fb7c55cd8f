package dev.calicorr.core.runtime;

import io.kubernetes.client.extended.leaderelection.LeaderElectionRecord;
import io.kubernetes.client.extended.leaderelection.Lock;
import io.kubernetes.client.openapi.ApiException;
import java.time.Duration;

/**
 * The leader Lease, remembering on the monotonic clock when this replica last wrote it as holder:
 * a replica may write to the cluster only within the renew deadline of that write. The elector
 * notices a lost Lease only when its renew loop gives up, and a reconcile may be in the middle of a
 * long plan then; the fence stops it at the next step.
 */
final class FencedLeaseLock implements Lock {
    private final Lock lease;
    private final Duration renewDeadline;
    private volatile long lastHeldNanos;
    private volatile boolean held;

    FencedLeaseLock(Lock lease, Duration renewDeadline) {
        this.lease = lease;
        this.renewDeadline = renewDeadline;
    }

    /** Whether this replica renewed the Lease as its holder within the renew deadline. */
    boolean holds() {
        return held && System.nanoTime() - lastHeldNanos < renewDeadline.toNanos();
    }

    /** How long ago this replica last wrote the Lease as its holder (for log lines). */
    Duration sinceLastRenew() {
        return Duration.ofNanos(System.nanoTime() - lastHeldNanos);
    }

    /** This replica gives the Lease up (a stop): no write from now on. */
    void release() {
        held = false;
    }

    @Override
    public LeaderElectionRecord get() throws ApiException {
        return lease.get();
    }

    @Override
    public boolean create(LeaderElectionRecord record) {
        long before = System.nanoTime(); // the Lease counts from before the request, not its answer
        return noted(lease.create(record), record, before);
    }

    @Override
    public boolean update(LeaderElectionRecord record) {
        long before = System.nanoTime();
        return noted(lease.update(record), record, before);
    }

    private boolean noted(boolean written, LeaderElectionRecord record, long before) {
        if (written) {
            held = identity().equals(record.getHolderIdentity());
            lastHeldNanos = before;
        }
        return written;
    }

    @Override
    public String identity() {
        return lease.identity();
    }

    @Override
    public String describe() {
        return lease.describe();
    }
}
