package dev.calicorr.core.etcd;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a {@link Sink} current with every key under one prefix: a list (at etcd's revision R), then
 * a watch from R + 1, so no change between the two is missed. When the watch cannot resume (its
 * revision was compacted away, or it failed), the prefix is listed again and the sink replaced,
 * with backoff while etcd does not answer.
 */
public final class EtcdWatch {
    private static final Logger log = LoggerFactory.getLogger(EtcdWatch.class);
    private static final Duration FIRST_RETRY = Duration.ofMillis(500);
    private static final Duration MAX_RETRY = Duration.ofSeconds(30);

    /** What a watch keeps current. Called from one thread at a time. */
    public interface Sink {
        /** Everything under the prefix at one revision. */
        void replace(List<KeyValue> kvs);

        void stored(KeyValue kv);

        void removed(String key);
    }

    private final Client client;
    private final EtcdKv kv;
    private final String prefix;
    private final Sink sink;
    private final Runnable changed;
    /**
     * The one thread that lists, (re)starts the watch and feeds the sink: calls from jetcd's threads
     * are handed to it, so the sink needs no lock and no jetcd call is made while holding one.
     */
    private final ScheduledExecutorService scheduler;
    private volatile boolean synced;
    private volatile boolean closed;
    /** The current watch, and its number: callbacks of a watch that was replaced are dropped. Scheduler thread only. */
    private Watch.Watcher watcher;
    private long generation;
    private Duration retry = FIRST_RETRY;

    public EtcdWatch(Client client, String prefix, Sink sink, Runnable changed, ScheduledExecutorService scheduler) {
        this.client = client;
        this.kv = new EtcdKv(client);
        this.prefix = prefix;
        this.sink = sink;
        this.changed = changed;
        this.scheduler = scheduler;
    }

    public void start() {
        scheduler.execute(this::listAndWatch);
    }

    public boolean hasSynced() {
        return synced;
    }

    private void listAndWatch() {
        if (closed) {
            return;
        }
        GetResponse list;
        try {
            list = kv.list(prefix);
        } catch (EtcdKv.CallFailedException e) {
            log.warn("cannot list {} ({}); trying again in {} ms", prefix, e.getMessage(), retry.toMillis());
            scheduler.schedule(this::listAndWatch, retry.toMillis(), TimeUnit.MILLISECONDS);
            retry = retry.multipliedBy(2).compareTo(MAX_RETRY) > 0 ? MAX_RETRY : retry.multipliedBy(2);
            return;
        }
        retry = FIRST_RETRY;
        long revision = list.getHeader().getRevision();
        sink.replace(list.getKvs());
        synced = true;
        changed.run();
        watchFrom(revision + 1);
    }

    /** Test seam: resumes the watch from a revision that may have been compacted away meanwhile. */
    public void resumeFrom(long revision) {
        scheduler.execute(() -> watchFrom(revision));
    }

    private void watchFrom(long revision) {
        if (closed) {
            return;
        }
        if (watcher != null) {
            watcher.close(); // its last callbacks belong to an older generation: dropped
        }
        long current = ++generation;
        watcher = client.getWatchClient().watch(EtcdKv.bytes(prefix),
                WatchOption.builder().isPrefix(true).withRevision(revision).build(),
                Watch.listener(response -> onScheduler(current, () -> onEvents(response)),
                        error -> onScheduler(current, () -> onError(error)),
                        () -> onScheduler(current, this::onCompleted)));
        log.debug("watching {} from revision {}", prefix, revision);
    }

    private void onScheduler(long of, Runnable callback) {
        try {
            scheduler.execute(() -> {
                if (of == generation && !closed) {
                    callback.run();
                }
            });
        } catch (RejectedExecutionException e) {
            // shutting down
        }
    }

    private void onEvents(WatchResponse response) {
        for (WatchEvent event : response.getEvents()) {
            switch (event.getEventType()) {
                case PUT -> sink.stored(event.getKeyValue());
                case DELETE -> sink.removed(event.getKeyValue().getKey().toString(StandardCharsets.UTF_8));
                default -> { }
            }
        }
        if (!response.getEvents().isEmpty()) {
            changed.run();
        }
    }

    private void onError(Throwable error) {
        if (error instanceof CompactedException compacted) {
            log.info("the watch of {} fell behind etcd's compaction (revision {}); listing again",
                    prefix, compacted.getCompactedRevision());
        } else {
            log.warn("the watch of {} failed ({}); listing again", prefix, error.toString());
        }
        generation++; // the failed watch's completion that follows is not a second reason to list
        listAndWatch();
    }

    private void onCompleted() {
        log.info("the watch of {} ended; listing again", prefix);
        listAndWatch();
    }

    /** Stops the watch; the scheduler and the client belong to the caller. */
    public void close() {
        closed = true;
        try {
            scheduler.execute(() -> {
                if (watcher != null) {
                    watcher.close();
                }
            });
        } catch (RejectedExecutionException e) {
            // the scheduler is stopped already: so is the client
        }
    }
}
