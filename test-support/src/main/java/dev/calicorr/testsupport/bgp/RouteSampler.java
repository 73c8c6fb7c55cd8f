package dev.calicorr.testsupport.bgp;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Reads every live node's BIRD table on a fixed period and measures route gaps: the time a live
 * node went without a route to another live node's block that it had before. A pair whose route
 * never arrived yet (a node that just joined) is no gap; a pair whose node or owner is not live is
 * not counted. Also measures how long a live node that had an Established session went without any
 * (with the mesh off, every session of a node is with a route reflector or between reflectors).
 */
public final class RouteSampler implements AutoCloseable {
    private final BgpNetwork network;
    private final Duration period;
    private final Thread thread;
    private final ExecutorService readers = Executors.newFixedThreadPool(4, r -> {
        Thread t = new Thread(r, "route-sampler-read");
        t.setDaemon(true);
        return t;
    });
    private final Set<String> seen = new HashSet<>();
    private final Map<String, Instant> missingSince = new HashMap<>();
    private final Set<String> hadSession = new HashSet<>();
    private final Map<String, Instant> sessionlessSince = new HashMap<>();
    private final List<Gap> gaps = new ArrayList<>();
    private final List<Gap> sessionless = new ArrayList<>();
    private volatile boolean running = true;
    private int samples;
    private final AtomicInteger failedReads = new AtomicInteger();

    private RouteSampler(BgpNetwork network, Duration period) {
        this.network = network;
        this.period = period;
        this.thread = new Thread(this::run, "route-sampler");
        this.thread.setDaemon(true);
    }

    static RouteSampler start(BgpNetwork network, Duration period) {
        RouteSampler sampler = new RouteSampler(network, period);
        sampler.thread.start();
        return sampler;
    }

    /**
     * A time a live node went without something it had: a route to {@code owner}'s block, or (owner
     * empty) any Established session.
     */
    public record Gap(String node, String owner, Instant since, Duration length) {
        boolean involvesAny(Set<String> nodes) {
            return nodes.contains(node) || nodes.contains(owner);
        }

        @Override
        public String toString() {
            return node + (owner.isEmpty() ? " without a session" : " -> " + owner) + " " + length.toMillis() + " ms from "
                    + since;
        }
    }

    /** What was measured, with the gaps still open closed now. */
    public record Report(int samples, int failedReads, List<Gap> gaps, List<Gap> sessionless) {
        public Duration longestGap() {
            return longest(gaps, Set.of());
        }

        /** The longest route gap between two nodes neither of which is in {@code nodes}. */
        public Duration longestGapExcept(Set<String> nodes) {
            return longest(gaps, nodes);
        }

        public Duration longestSessionless() {
            return longest(sessionless, Set.of());
        }

        public Duration longestSessionlessExcept(Set<String> nodes) {
            return longest(sessionless, nodes);
        }

        private static Duration longest(List<Gap> gaps, Set<String> except) {
            return gaps.stream().filter(g -> !g.involvesAny(except)).map(Gap::length).max(Duration::compareTo)
                    .orElse(Duration.ZERO);
        }

        @Override
        public String toString() {
            List<Gap> byLength = gaps.stream().sorted((a, b) -> b.length().compareTo(a.length())).toList();
            return samples + " samples (" + failedReads + " reads asked twice); longest route gap "
                    + longestGap().toMillis() + " ms, " + gaps.size() + " gaps"
                    + (byLength.isEmpty() ? "" : ", longest " + byLength.subList(0, Math.min(5, byLength.size())))
                    + "; longest without an Established session " + longestSessionless().toMillis() + " ms"
                    + (sessionless.isEmpty() ? "" : " " + sessionless.subList(0, Math.min(3, sessionless.size())));
        }
    }

    private void run() {
        long next = System.nanoTime();
        // bounded by close(); each round is bounded by BIRD's socket timeout
        while (running) {
            sampleOnce();
            next += period.toNanos();
            long wait = next - System.nanoTime();
            if (wait > 0) {
                try {
                    TimeUnit.NANOSECONDS.sleep(wait);
                } catch (InterruptedException e) {
                    return;
                }
            } else {
                next = System.nanoTime();
            }
        }
    }

    private void sampleOnce() {
        List<BgpNode> live = network.liveNodes();
        Map<BgpNode, Future<BirdState>> reads = new HashMap<>();
        for (BgpNode node : live) {
            reads.put(node, readers.submit(() -> readTwice(node)));
        }
        Map<String, BirdState> states = new HashMap<>();
        for (Map.Entry<BgpNode, Future<BirdState>> read : reads.entrySet()) {
            try {
                states.put(read.getKey().name(), read.getValue().get(10, TimeUnit.SECONDS));
            } catch (InterruptedException e) {
                // stopped in the middle of a sample: its unanswered reads are no evidence of a lost route
                Thread.currentThread().interrupt();
                return;
            } catch (ExecutionException | TimeoutException e) {
                states.put(read.getKey().name(), null); // a live BIRD that does not answer has no routes for us
            }
        }
        if (!running) {
            return; // stopped while reading: the sample is not whole
        }
        // a node that went down while it was read (killed, removed) is not live in this sample
        record(live.stream().filter(BgpNode::birdRunning).toList(), states, Instant.now());
    }

    /**
     * A node's state; a read that fails (a socket error while BIRD reconfigures, say) is asked once
     * more before the node counts as having nothing: a failed question is no evidence of a lost route.
     */
    private BirdState readTwice(BgpNode node) throws IOException, InterruptedException {
        try {
            return node.state();
        } catch (IOException first) {
            failedReads.incrementAndGet();
            Thread.sleep(20);
            return node.state();
        }
    }

    private synchronized void record(List<BgpNode> live, Map<String, BirdState> states, Instant at) {
        samples++;
        Set<String> considered = new HashSet<>();
        for (BgpNode node : live) {
            BirdState state = states.get(node.name());
            Set<String> prefixes = state == null ? Set.of() : state.prefixes();
            for (BgpNode owner : live) {
                if (owner == node) {
                    continue;
                }
                String pair = node.name() + " -> " + owner.name();
                considered.add(pair);
                if (prefixes.contains(owner.block())) {
                    seen.add(pair);
                    closeGap(pair, at);
                } else if (seen.contains(pair)) {
                    missingSince.putIfAbsent(pair, at);
                }
            }
            boolean established = state != null && !state.established().isEmpty();
            if (established) {
                hadSession.add(node.name());
                closeSessionless(node.name(), at);
            } else if (hadSession.contains(node.name())) {
                sessionlessSince.putIfAbsent(node.name(), at);
            }
        }
        for (String pair : List.copyOf(missingSince.keySet())) {
            if (!considered.contains(pair)) {
                closeGap(pair, at); // its node or owner went down: the gap ended with it
            }
        }
        Set<String> liveNames = new HashSet<>();
        live.forEach(n -> liveNames.add(n.name()));
        for (String node : List.copyOf(sessionlessSince.keySet())) {
            if (!liveNames.contains(node)) {
                closeSessionless(node, at);
            }
        }
    }

    private void closeGap(String pair, Instant at) {
        Instant since = missingSince.remove(pair);
        if (since != null) {
            String[] ends = pair.split(" -> ");
            gaps.add(new Gap(ends[0], ends[1], since, Duration.between(since, at)));
        }
    }

    private void closeSessionless(String node, Instant at) {
        Instant since = sessionlessSince.remove(node);
        if (since != null) {
            sessionless.add(new Gap(node, "", since, Duration.between(since, at)));
        }
    }

    /** Stops sampling and reports; open gaps are closed at this moment. */
    public Report stop() {
        close();
        synchronized (this) {
            Instant now = Instant.now();
            List.copyOf(missingSince.keySet()).forEach(pair -> closeGap(pair, now));
            List.copyOf(sessionlessSince.keySet()).forEach(node -> closeSessionless(node, now));
            return new Report(samples, failedReads.get(), List.copyOf(gaps), List.copyOf(sessionless));
        }
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(15));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        readers.shutdownNow();
    }
}
