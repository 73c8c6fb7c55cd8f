package dev.calicorr.routereflector.datastore;

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
final class EtcdWatch {
    private static final Logger log = LoggerFactory.getLogger(EtcdWatch.class);
    private static final Duration FIRST_RETRY = Duration.ofMillis(500);
    private static final Duration MAX_RETRY = Duration.ofSeconds(30);

    /** What a watch keeps current. Called from one thread at a time. */
    interface Sink {
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
    private final ScheduledExecutorService scheduler;
    private volatile boolean synced;
    private volatile boolean closed;
    private Watch.Watcher watcher;
    private Duration retry = FIRST_RETRY;

    EtcdWatch(Client client, String prefix, Sink sink, Runnable changed, ScheduledExecutorService scheduler) {
        this.client = client;
        this.kv = new EtcdKv(client);
        this.prefix = prefix;
        this.sink = sink;
        this.changed = changed;
        this.scheduler = scheduler;
    }

    void start() {
        scheduler.execute(this::listAndWatch);
    }

    boolean hasSynced() {
        return synced;
    }

    private synchronized void listAndWatch() {
        if (closed) {
            return;
        }
        GetResponse list;
        try {
            list = kv.list(prefix);
        } catch (EtcdKv.UnavailableException e) {
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
        if (watcher != null) {
            watcher.close();
        }
        watcher = client.getWatchClient().watch(EtcdKv.bytes(prefix),
                WatchOption.builder().isPrefix(true).withRevision(revision + 1).build(),
                Watch.listener(this::onEvents, this::onError, this::onCompleted));
        log.debug("watching {} from revision {}", prefix, revision + 1);
    }

    private synchronized void onEvents(WatchResponse response) {
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
        if (closed) {
            return;
        }
        if (error instanceof CompactedException compacted) {
            log.info("the watch of {} fell behind etcd's compaction (revision {}); listing again",
                    prefix, compacted.getCompactedRevision());
        } else {
            log.warn("the watch of {} failed ({}); listing again", prefix, error.toString());
        }
        scheduler.execute(this::listAndWatch);
    }

    private void onCompleted() {
        if (!closed) {
            scheduler.execute(this::listAndWatch);
        }
    }

    synchronized void close() {
        closed = true;
        if (watcher != null) {
            watcher.close();
        }
    }
}
