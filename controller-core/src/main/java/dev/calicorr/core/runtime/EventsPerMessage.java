package dev.calicorr.core.runtime;

import io.kubernetes.client.custom.V1Patch;
import io.kubernetes.client.extended.event.legacy.EventAggregator;
import io.kubernetes.client.extended.event.legacy.EventCorrelator;
import io.kubernetes.client.extended.event.legacy.EventSink;
import io.kubernetes.client.extended.event.legacy.EventSpamFilter;
import io.kubernetes.client.extended.event.legacy.EventUtils;
import io.kubernetes.client.extended.event.legacy.LegacyEventBroadcaster;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.CoreV1Event;
import io.kubernetes.client.util.PatchUtils;
import org.apache.commons.lang3.tuple.MutablePair;

/**
 * An Event broadcaster whose every distinct message is an Event of its own. client-java's default
 * correlator folds the 10th distinct message of one object and reason into a single "(combined
 * from similar events)" Event and only counts later ones there, and lets 25 Events per object
 * through before one per 5 minutes: so the tenth rejected configuration of {@code default}
 * showed nothing new. Here aggregation and the spam filter go by the whole Event, message
 * included: a repeat of the same Event still only raises its count, and a flood of the same one
 * is still cut.
 */
final class EventsPerMessage {
    private static final int CACHE_ENTRIES = 4096;

    private EventsPerMessage() {
    }

    static LegacyEventBroadcaster broadcaster(CoreV1Api api) {
        return new LegacyEventBroadcaster(new Correlator(), new Sink(api));
    }

    private static final class Correlator extends EventCorrelator {
        Correlator() {
            aggregator = new EventAggregator(CACHE_ENTRIES,
                    event -> new MutablePair<>(EventUtils.getEventKey(event), event.getMessage()),
                    EventUtils::getAggregatedMessageByReason);
            filter = new EventSpamFilter(CACHE_ENTRIES, EventUtils::getEventKey)::filter;
        }
    }

    /** What {@link LegacyEventBroadcaster#LegacyEventBroadcaster(CoreV1Api)} writes with, less the replace it never calls. */
    private record Sink(CoreV1Api api) implements EventSink {
        @Override
        public CoreV1Event create(CoreV1Event event) throws ApiException {
            return api.createNamespacedEvent(event.getMetadata().getNamespace(), event).execute();
        }

        /** Never called: the broadcaster creates Events and patches their count (so RBAC grants no update). */
        @Override
        public CoreV1Event update(CoreV1Event event) {
            throw new UnsupportedOperationException("Events are created and patched, never replaced");
        }

        @Override
        public CoreV1Event patch(CoreV1Event event, V1Patch patch) throws ApiException {
            return PatchUtils.patch(CoreV1Event.class, () -> api.patchNamespacedEvent(event.getMetadata().getName(),
                    event.getMetadata().getNamespace(), patch).buildCall(null),
                    V1Patch.PATCH_FORMAT_STRATEGIC_MERGE_PATCH, api.getApiClient());
        }
    }
}
